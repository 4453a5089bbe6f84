import { Tokenizer } from '@huggingface/tokenizers';

/** The files a ColPali-family snapshot describes its processor in (any may be absent). */
export interface ColPaliProcessorFiles {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig?: Record<string, unknown>;
  /** processor_config.json: query_prefix, visual_prompt_prefix, and (transformers ≥ 5) the image processor. */
  processor?: Record<string, unknown>;
  /** preprocessor_config.json, where older snapshots keep the image processor. */
  preprocessor?: Record<string, unknown>;
}

const text = (v: unknown, fallback: string) => (typeof v === 'string' ? v : ((v as { content?: string } | undefined)?.content ?? fallback));

/**
 * ColPaliProcessor's token sequences. Queries: bos + query_prefix + text + 10 × pad (the "query augmentation"
 * tokens, real tokens under mask 1) + "\n". Images: image_seq_length × <image> + bos + visual_prompt_prefix + "\n".
 * The strings are built as the processor builds them and tokenised whole with no post-processor specials
 * (it turns add_bos_token off), so special tokens written in them are matched as the processor matches them.
 */
export class ColPaliPrompt {
  readonly imageProcessor: Record<string, unknown>;
  readonly imageIds: Int32Array;
  readonly padId: number;
  private readonly tokenizer: Tokenizer;
  private readonly queryPrefix: string;
  private readonly querySuffix: string;
  private readonly bos: string;

  constructor(files: ColPaliProcessorFiles) {
    const { tokenizerConfig = {}, processor = {} } = files;
    const imageProcessor = files.preprocessor ?? (processor.image_processor as Record<string, unknown> | undefined);
    if (!imageProcessor) throw new Error('neither preprocessor_config.json nor processor_config.json holds the image processor');
    this.imageProcessor = imageProcessor;
    this.tokenizer = new Tokenizer(files.tokenizerJson, tokenizerConfig);
    this.bos = text(tokenizerConfig.bos_token, '<bos>');
    const pad = text(tokenizerConfig.pad_token, '<pad>');
    const padId = this.tokenizer.token_to_id(pad);
    if (padId === undefined) throw new Error(`the tokenizer has no pad token ${pad}`);
    this.padId = padId;
    this.queryPrefix = typeof processor.query_prefix === 'string' ? processor.query_prefix : 'Question: ';
    this.querySuffix = pad.repeat(10);
    const imageSeq = Number(imageProcessor.image_seq_length ?? processor.image_seq_length);
    if (!Number.isInteger(imageSeq) || imageSeq < 1) throw new Error('the image processor config has no image_seq_length');
    const imageToken = text(tokenizerConfig.image_token, '<image>');
    const visualPrefix = typeof processor.visual_prompt_prefix === 'string' ? processor.visual_prompt_prefix : 'Describe the image.';
    this.imageIds = Int32Array.from(this.encode(`${imageToken.repeat(imageSeq)}${this.bos}${visualPrefix}\n`));
    const imageId = this.tokenizer.token_to_id(imageToken);
    if (imageId === undefined || this.imageIds.subarray(0, imageSeq).some((id) => id !== imageId)) throw new Error(`the tokenizer lacks the ${imageToken} token`);
  }

  query(text: string): Int32Array {
    return Int32Array.from(this.encode(`${this.bos}${this.queryPrefix}${text}${this.querySuffix}\n`));
  }

  private encode(s: string): number[] {
    return this.tokenizer.encode(s, { add_special_tokens: false }).ids;
  }
}
