/**
 * Hostile GGUF headers (issue #16): counts that would make a naive reader loop for ever or
 * allocate without limit. Each is a few dozen bytes; what a reader does with them is the test.
 */
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
};
const str = (s: string) => Buffer.concat([u64(BigInt(Buffer.byteLength(s))), Buffer.from(s)]);
const start = (tensors: bigint, kvs: bigint) => Buffer.concat([Buffer.from("GGUF"), u32(3), u64(tensors), u64(kvs)]);

/** One metadata key holding an array of `count` items of `itemType` (only the array's length field is there). */
const hugeArray = (key: string, itemType: number, count: bigint) =>
  Buffer.concat([start(0n, 1n), str(key), u32(9), u32(itemType), u64(count), Buffer.alloc(64)]);

export const HOSTILE_HEADERS: Readonly<Record<string, Buffer>> = {
  "2^62 tensors": Buffer.concat([start(2n ** 62n, 0n), Buffer.alloc(64)]),
  "2^62 key/values": Buffer.concat([start(0n, 2n ** 62n), Buffer.alloc(64)]),
  "an array of 2^40 strings": hugeArray("tokenizer.ggml.tokens", 8, 2n ** 40n),
  "an array of 2^40 u8": hugeArray("tokenizer.ggml.token_type", 0, 2n ** 40n),
  "magic only": Buffer.from("GGUF"),
};

/** A header whose one array declares `count` u8 items: `count` bytes of header, to test the size cap. */
export function headerWithArrayOf(count: number): Buffer {
  return hugeArray("general.blob", 0, BigInt(count));
}
