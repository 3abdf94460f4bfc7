// Builds ustar archives for the download tests (the reader under test is src/data/tar.ts).
export function writeTar(files: readonly { path: string; data: Uint8Array }[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  const encoder = new TextEncoder();
  for (const file of files) {
    const header = new Uint8Array(512);
    const put = (text: string, offset: number) => header.set(encoder.encode(text), offset);
    put(file.path, 0);
    put('0000644\0', 100);
    put('0000000\0', 108);
    put('0000000\0', 116);
    put(file.data.length.toString(8).padStart(11, '0') + '\0', 124);
    put('00000000000\0', 136);
    put('        ', 148); // checksum field counts as spaces while summing
    header[156] = '0'.charCodeAt(0);
    put('ustar\0', 257);
    put('00', 263);
    const checksum = header.reduce((total, byte) => total + byte, 0);
    put(checksum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(header, file.data, new Uint8Array((512 - (file.data.length % 512)) % 512));
  }
  blocks.push(new Uint8Array(1024));
  const archive = new Uint8Array(blocks.reduce((total, block) => total + block.length, 0));
  let offset = 0;
  for (const block of blocks) {
    archive.set(block, offset);
    offset += block.length;
  }
  return archive;
}
