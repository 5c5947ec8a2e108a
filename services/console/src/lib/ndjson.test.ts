import { describe, expect, it } from 'vitest';
import { ndjson } from './ndjson';

function stream(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const s of chunks) c.enqueue(enc.encode(s));
      c.close();
    },
  });
}

describe('ndjson', () => {
  it('yields each message, whichever way the lines are cut', async () => {
    const got = [];
    for await (const m of ndjson<{ done: number }>(stream(['{"result":{"do', 'ne":1}}\n{"result":{"done":2}}\n{"err', 'or":{"message":"x"}}']))) got.push(m);
    expect(got).toEqual([{ result: { done: 1 } }, { result: { done: 2 } }, { error: { message: 'x' } }]);
  });
});
