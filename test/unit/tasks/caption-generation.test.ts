import { describe, expect, it } from 'vitest';
import { cutGenerated, tokenBudget } from '../../../src/tasks/caption/generation.js';

const EOS = [50256];

describe('cutGenerated', () => {
  it('drops the forced prefix and stops at the first end-of-sequence token (counted as generated)', () => {
    expect(cutGenerated([50256, 7, 8, 9, 50256, 50256, 50256], 1, EOS, 10)).toEqual({ ids: [7, 8, 9], finish: 'stop', generated: 4 });
    expect(cutGenerated([50256, 1, 2, 7, 50256], 3, EOS, 10)).toEqual({ ids: [7], finish: 'stop', generated: 2 });
    expect(cutGenerated([50256, 50256], 1, EOS, 5)).toEqual({ ids: [], finish: 'stop', generated: 1 });
  });

  it("a row of a longer batched run is cut to this caller's budget: the shorter run's exact tokens", () => {
    const row = [50256, 4, 5, 6, 7, 8];
    expect(cutGenerated(row, 1, EOS, 3)).toEqual({ ids: [4, 5, 6], finish: 'length', generated: 3 });
    expect(cutGenerated(row, 1, EOS, 5)).toEqual({ ids: [4, 5, 6, 7, 8], finish: 'length', generated: 5 });
    // The end-of-sequence token just past the budget is not this caller's.
    expect(cutGenerated([50256, 4, 50256], 1, EOS, 1)).toEqual({ ids: [4], finish: 'length', generated: 1 });
  });

  it('any of several end-of-sequence ids ends a caption', () => {
    expect(cutGenerated([0, 3, 2, 9], 1, [1, 2], 8)).toEqual({ ids: [3], finish: 'stop', generated: 2 });
  });
});

describe('tokenBudget', () => {
  const model = { maxLength: 16, maxPositions: 64 };

  it("defaults to generation_config: max_new_tokens, else max_length minus the forced tokens (transformers' count)", () => {
    expect(tokenBudget(undefined, model, 0)).toEqual({ budget: 15, limit: 63 });
    expect(tokenBudget(undefined, model, 5)).toEqual({ budget: 10, limit: 58 });
    expect(tokenBudget(undefined, { ...model, maxNewTokens: 30 }, 5).budget).toBe(30);
    expect(tokenBudget(undefined, model, 40).budget).toBe(1);
  });

  it('max_tokens wins, and nothing goes past the positions the decoder has', () => {
    expect(tokenBudget(4, model, 0).budget).toBe(4);
    expect(tokenBudget(1000, model, 0)).toEqual({ budget: 63, limit: 63 });
    expect(tokenBudget(undefined, { maxNewTokens: 100, maxLength: 16, maxPositions: 20 }, 2)).toEqual({ budget: 17, limit: 17 });
    expect(tokenBudget(undefined, model, 63).limit).toBe(0);
  });
});
