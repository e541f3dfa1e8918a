// Reads what a wasm-gan checkpoint (safetensors) says about itself, without
// the wasm core: its metadata, its tensor table and the training step. The
// core validates a file fully when it loads it; this is only for display and
// bookkeeping, and throws on anything that is not a safetensors header.

export function readCheckpointInfo(bytes) {
  if (!(bytes instanceof Uint8Array) || bytes.length < 8) throw new Error('not a checkpoint: shorter than 8 bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) throw new Error('not a checkpoint: the header length exceeds the file');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  const dataStart = 8 + headerLength;
  const metadata = header.__metadata__ ?? {};
  const tensors = Object.fromEntries(Object.entries(header).filter(([name]) => name !== '__metadata__'));
  const scalar = (name) => {
    const entry = tensors[name];
    if (!entry || entry.dtype !== 'U64') return undefined;
    const [begin, end] = entry.data_offsets;
    if (end - begin !== 8 || dataStart + end > bytes.length) return undefined;
    return Number(view.getBigUint64(dataStart + begin, true));
  };
  return {
    format: metadata.format,
    version: metadata.version,
    metadata,
    tensors,
    step: scalar('train.steps') ?? Number(metadata.step ?? 0),
  };
}
