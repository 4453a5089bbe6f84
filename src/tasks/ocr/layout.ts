import type { OcrBlock } from './pipeline.js';

interface Line {
  top: number;
  bottom: number;
  blocks: OcrBlock[];
}

const top = (b: OcrBlock) => Math.min(b.box[0][1], b.box[1][1]);
const bottom = (b: OcrBlock) => Math.max(b.box[2][1], b.box[3][1]);
const left = (b: OcrBlock) => Math.min(b.box[0][0], b.box[3][0]);

/**
 * Blocks into lines: a block joins a line when half of the smaller height overlaps it
 * vertically; lines top to bottom, blocks left to right within a line.
 */
export function groupLines(blocks: readonly OcrBlock[]): Line[] {
  const lines: Line[] = [];
  for (const b of [...blocks].sort((p, q) => top(p) - top(q) || left(p) - left(q))) {
    const t = top(b);
    const d = bottom(b);
    const line = lines.find((l) => Math.min(l.bottom, d) - Math.max(l.top, t) >= 0.5 * Math.min(l.bottom - l.top, d - t));
    if (line) {
      line.blocks.push(b);
      line.top = Math.min(line.top, t);
      line.bottom = Math.max(line.bottom, d);
    } else lines.push({ top: t, bottom: d, blocks: [b] });
  }
  for (const l of lines) l.blocks.sort((p, q) => left(p) - left(q));
  return lines.sort((p, q) => p.top - q.top);
}

const INLINE = /([\\`*_[\]<>|])/g;
const LINE_START = /^(\s*)(#{1,6}\s|>|[-+*]\s|\d+[.)]\s)/;

/** Text as markdown would otherwise read it as markup. */
export function escapeMarkdown(text: string): string {
  return text.replace(INLINE, '\\$1').replace(LINE_START, (_, space: string, mark: string) => `${space}\\${mark}`);
}

const right = (b: OcrBlock) => Math.max(b.box[1][0], b.box[2][0]);

/**
 * Splits blocks into side-by-side columns at the widest vertical gutter that no block crosses,
 * when the text on each side is at least as wide as the gutter and holds two or more lines (a
 * receipt's price column is narrower than its gap, so a receipt stays one column); recursive,
 * left to right.
 */
export function splitColumns(blocks: readonly OcrBlock[]): OcrBlock[][] {
  if (blocks.length < 4) return [[...blocks]];
  const spans = blocks.map((b) => [left(b), right(b)] as const).sort((a, b) => a[0] - b[0]);
  let best: { at: number; width: number } | undefined;
  let reach = spans[0]![1];
  for (const [l, r] of spans.slice(1)) {
    if (l > reach && (!best || l - reach > best.width)) best = { at: (l + reach) / 2, width: l - reach };
    reach = Math.max(reach, r);
  }
  if (!best) return [[...blocks]];
  const lhs = blocks.filter((b) => right(b) < best.at);
  const rhs = blocks.filter((b) => left(b) > best.at);
  const width = (side: OcrBlock[]) => Math.max(...side.map(right)) - Math.min(...side.map(left));
  const ok = (side: OcrBlock[]) => groupLines(side).length >= 2 && width(side) >= best.width;
  if (!ok(lhs) || !ok(rhs)) return [[...blocks]];
  return [...splitColumns(lhs), ...splitColumns(rhs)];
}

/**
 * A page's plain text (one line per visual line) and markdown (the same lines, escaped, with a
 * blank line where the vertical gap exceeds 0.8 of the median line height: a paragraph break).
 * Side-by-side columns are read one after the other.
 */
export function pageText(blocks: readonly OcrBlock[]): { text: string; markdown: string } {
  const parts = splitColumns(blocks).map(columnText);
  return { text: parts.map((p) => p.text).join('\n'), markdown: parts.map((p) => p.markdown).join('\n\n') };
}

function columnText(blocks: readonly OcrBlock[]): { text: string; markdown: string } {
  const lines = groupLines(blocks);
  if (lines.length === 0) return { text: '', markdown: '' };
  const heights = lines.map((l) => l.bottom - l.top).sort((a, b) => a - b);
  const median = heights[Math.floor(heights.length / 2)]!;
  const textLines = lines.map((l) => l.blocks.map((b) => b.text).join(' '));
  let markdown = '';
  lines.forEach((l, i) => {
    if (i > 0) markdown += l.top - lines[i - 1]!.bottom > 0.8 * median ? '\n\n' : '\n';
    markdown += escapeMarkdown(textLines[i]!);
  });
  return { text: textLines.join('\n'), markdown };
}
