import { Tokenizer } from '@huggingface/tokenizers';

export interface Tokenized {
  /** Ids the model sees: special tokens included, truncated to maxTokens. */
  ids: Int32Array;
  /** Token count before truncation (special tokens included). */
  fullLength: number;
}

/**
 * A Hugging Face tokenizer.json with sentence-transformers truncation: the
 * content is cut so that content + special tokens fit maxTokens, then the
 * model's special tokens ([CLS] … [SEP] for BERT) are put back around it.
 * tokenizer.json's own truncation/padding settings are ignored on purpose:
 * sentence-transformers overrides them with max_seq_length too.
 */
export class TextTokenizer {
  private readonly tokenizer: Tokenizer;
  private readonly prefix: number[];
  private readonly suffix: number[];
  readonly padId: number;

  constructor(tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown>) {
    this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    [this.prefix, this.suffix] = this.specialTemplate();
    const padToken = typeof tokenizerConfig.pad_token === 'string' ? tokenizerConfig.pad_token : undefined;
    const padding = tokenizerJson.padding as { pad_id?: number } | null | undefined;
    this.padId = (padToken !== undefined ? this.tokenizer.token_to_id(padToken) : undefined) ?? padding?.pad_id ?? 0;
  }

  get specialCount(): number {
    return this.prefix.length + this.suffix.length;
  }

  encode(text: string, maxTokens: number): Tokenized {
    const content = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
    const room = Math.max(0, maxTokens - this.specialCount);
    const kept = content.length > room ? content.slice(0, room) : content;
    const ids = new Int32Array(this.prefix.length + kept.length + this.suffix.length);
    ids.set(this.prefix, 0);
    ids.set(kept, this.prefix.length);
    ids.set(this.suffix, this.prefix.length + kept.length);
    return { ids, fullLength: content.length + this.specialCount };
  }

  /** Finds what the post-processor adds around a single sequence by encoding a probe both ways. */
  private specialTemplate(): [number[], number[]] {
    const probe = 'hello';
    const bare = this.tokenizer.encode(probe, { add_special_tokens: false }).ids;
    const full = this.tokenizer.encode(probe, { add_special_tokens: true }).ids;
    for (let start = 0; start + bare.length <= full.length; start++) {
      if (bare.every((id: number, i: number) => full[start + i] === id)) return [full.slice(0, start), full.slice(start + bare.length)];
    }
    return [[], []];
  }
}
