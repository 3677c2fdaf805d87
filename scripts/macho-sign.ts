/**
 * Ad-hoc code signing of a 64-bit Mach-O executable, for the macOS builds made on Linux where no
 * `codesign` exists. Bun re-signs what it compiles for darwin-arm64, but for darwin-x64 it keeps
 * the signature of its own runtime, whose page hashes no longer match once the bundle is inside
 * (macOS then calls the file damaged, or kills it at launch). This writes what Bun writes for
 * arm64: a SuperBlob holding one CodeDirectory (version 0x20400, ad-hoc and linker-signed flags)
 * with a SHA-256 hash of every 4 KiB page before the signature, in the space the signature had at
 * the end of `__LINKEDIT`, grown when the new one needs more.
 */

const LC_SEGMENT_64 = 0x19;
const LC_CODE_SIGNATURE = 0x1d;
const PAGE = 4096;

interface Layout {
  /** Offset of LC_CODE_SIGNATURE's `dataoff`; `datasize` follows it. */
  sigCmd: number;
  sigOffset: number;
  /** Offset of `__LINKEDIT`'s segment command, and of `__TEXT`'s file size. */
  linkedit: number;
  textSize: bigint;
}

function layout(bytes: Uint8Array): Layout {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== 0xfeedfacf) throw new Error("not a 64-bit little-endian Mach-O file");
  let at = 32;
  let sigCmd = -1;
  let linkedit = -1;
  let textSize = 0n;
  for (let i = 0, n = v.getUint32(16, true); i < n; i++) {
    const cmd = v.getUint32(at, true);
    if (cmd === LC_CODE_SIGNATURE) sigCmd = at + 8;
    if (cmd === LC_SEGMENT_64) {
      const name = new TextDecoder().decode(bytes.subarray(at + 8, at + 24)).replace(/\0.*$/s, "");
      if (name === "__LINKEDIT") linkedit = at;
      if (name === "__TEXT") textSize = v.getBigUint64(at + 48, true);
    }
    at += v.getUint32(at + 4, true);
  }
  if (sigCmd < 0 || linkedit < 0) throw new Error("no LC_CODE_SIGNATURE or __LINKEDIT to sign into");
  return { sigCmd, sigOffset: v.getUint32(sigCmd, true), linkedit, textSize };
}

const sha256 = (data: Uint8Array) => new Bun.CryptoHasher("sha256").update(data).digest();

/** Whether the file's CodeDirectory hashes every page before its signature, each matching. */
export function adhocSignatureValid(bytes: Uint8Array): boolean {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { sigOffset } = layout(bytes);
  if (v.getUint32(sigOffset) !== 0xfade0cc0) return false;
  for (let i = 0, n = v.getUint32(sigOffset + 8); i < n; i++) {
    const cd = sigOffset + v.getUint32(sigOffset + 16 + i * 8);
    if (v.getUint32(sigOffset + 12 + i * 8) !== 0 || v.getUint32(cd) !== 0xfade0c02) continue;
    const [hashOffset, slots, codeLimit] = [v.getUint32(cd + 16), v.getUint32(cd + 28), v.getUint32(cd + 32)];
    if (codeLimit !== sigOffset || slots !== Math.ceil(codeLimit / PAGE)) return false;
    for (let p = 0; p < slots; p++) {
      const page = bytes.subarray(p * PAGE, Math.min((p + 1) * PAGE, codeLimit));
      const want = bytes.subarray(cd + hashOffset + p * 32, cd + hashOffset + (p + 1) * 32);
      if (!sha256(page).equals(want)) return false;
    }
    return true;
  }
  return false;
}

/** The file signed ad-hoc under `identifier`: a new buffer, its signature replaced and resized. */
export function signAdhoc(input: Uint8Array, identifier: string): Uint8Array {
  const { sigCmd, sigOffset, linkedit, textSize } = layout(input);
  const ident = new TextEncoder().encode(`${identifier}\0`);
  const slots = Math.ceil(sigOffset / PAGE);
  const cdHeader = 88; // through execSegFlags, as version 0x20400 has it
  const hashOffset = cdHeader + ident.length;
  const cdLength = hashOffset + slots * 32;
  // SuperBlob header, one index entry, the CodeDirectory; no padding after it, as Bun writes it.
  const dataSize = 12 + 8 + cdLength;

  const out = new Uint8Array(sigOffset + dataSize);
  out.set(input.subarray(0, sigOffset));
  const v = new DataView(out.buffer);
  // The load commands first, since page 0 is hashed with them: the signature's new size, and
  // __LINKEDIT (the last segment, ending with the signature) grown to hold it.
  v.setUint32(sigCmd + 4, dataSize, true);
  const linkeditFileOff = v.getBigUint64(linkedit + 40, true);
  const fileSize = BigInt(sigOffset + dataSize) - linkeditFileOff;
  v.setBigUint64(linkedit + 48, fileSize, true);
  const vmSize = v.getBigUint64(linkedit + 32, true);
  const pages16k = ((fileSize + 0x3fffn) / 0x4000n) * 0x4000n;
  if (pages16k > vmSize) v.setBigUint64(linkedit + 32, pages16k, true);

  // The blobs are big-endian.
  const s = sigOffset;
  v.setUint32(s, 0xfade0cc0);
  v.setUint32(s + 4, dataSize);
  v.setUint32(s + 8, 1);
  v.setUint32(s + 12, 0); // CSSLOT_CODEDIRECTORY
  v.setUint32(s + 16, 20);
  const cd = s + 20;
  v.setUint32(cd, 0xfade0c02);
  v.setUint32(cd + 4, cdLength);
  v.setUint32(cd + 8, 0x20400);
  v.setUint32(cd + 12, 0x20002); // CS_ADHOC | CS_LINKER_SIGNED, as Bun's arm64 signature
  v.setUint32(cd + 16, hashOffset);
  v.setUint32(cd + 20, cdHeader);
  v.setUint32(cd + 24, 0); // no special slots: no Info.plist, requirements or entitlements
  v.setUint32(cd + 28, slots);
  v.setUint32(cd + 32, sigOffset); // codeLimit: everything before the signature
  v.setUint8(cd + 36, 32); // hashSize
  v.setUint8(cd + 37, 2); // CS_HASHTYPE_SHA256
  v.setUint8(cd + 39, 12); // log2 of the 4 KiB page
  v.setBigUint64(cd + 64, 0n); // execSegBase
  v.setBigUint64(cd + 72, textSize); // execSegLimit: __TEXT
  v.setBigUint64(cd + 80, 1n); // CS_EXECSEG_MAIN_BINARY
  out.set(ident, cd + cdHeader);
  for (let p = 0; p < slots; p++) {
    out.set(sha256(out.subarray(p * PAGE, Math.min((p + 1) * PAGE, sigOffset))), cd + hashOffset + p * 32);
  }
  return out;
}
