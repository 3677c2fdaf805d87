/**
 * Reads what an operating system's loader reads first in an executable or a native library: its
 * format and CPU (ELF `e_machine`, Mach-O `cputype`, PE `Machine`), where Bun keeps the files it
 * embeds (the ELF `.bun` section, the Mach-O `__BUN` segment, the PE `.bun` section), and for
 * Mach-O whether its code signature covers every page, since macOS on Apple silicon kills an arm64
 * program whose signature does not match. Written from the formats' published layouts.
 */

export type Format = "ELF" | "Mach-O" | "PE";

export interface NativeObject {
  /** Where it starts in the file that holds it. */
  offset: number;
  format: Format;
  /** `x86-64` or `arm64`, or the raw machine number when neither. */
  cpu: string;
  /** `executable` for a program, `library` for a shared object (what a `.node` add-on is). */
  kind: "executable" | "library";
  /** PE only: 3 runs in a console window, 2 is a windowed (GUI) program. */
  subsystem?: number;
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const MACHO_MAGIC = [0xcf, 0xfa, 0xed, 0xfe]; // 0xfeedfacf little-endian: a 64-bit Mach-O
const MZ = [0x4d, 0x5a];

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function startsWith(bytes: Uint8Array, at: number, magic: number[]): boolean {
  return magic.every((b, i) => bytes[at + i] === b);
}

/** The native object whose header starts at `at`, or undefined when none does. */
export function readHeader(bytes: Uint8Array, at = 0): NativeObject | undefined {
  const v = view(bytes);
  if (at + 64 > bytes.length) return undefined;
  if (startsWith(bytes, at, ELF_MAGIC)) {
    // 64-bit, little-endian, version 1, and a 64-byte header: a real ELF64, not four stray bytes.
    if (bytes[at + 4] !== 2 || bytes[at + 5] !== 1 || bytes[at + 6] !== 1) return undefined;
    if (v.getUint16(at + 52, true) !== 64) return undefined;
    const type = v.getUint16(at + 16, true);
    const machine = v.getUint16(at + 18, true);
    const cpu = machine === 62 ? "x86-64" : machine === 183 ? "arm64" : `elf-${machine}`;
    if (type !== 2 && type !== 3) return undefined;
    return { offset: at, format: "ELF", cpu, kind: type === 2 ? "executable" : "library" };
  }
  if (startsWith(bytes, at, MACHO_MAGIC)) {
    const cputype = v.getUint32(at + 4, true);
    const filetype = v.getUint32(at + 12, true);
    const cpu = cputype === 0x01000007 ? "x86-64" : cputype === 0x0100000c ? "arm64" : `macho-${cputype}`;
    // MH_EXECUTE is a program; MH_DYLIB and MH_BUNDLE are what dlopen takes.
    if (filetype === 2) return { offset: at, format: "Mach-O", cpu, kind: "executable" };
    if (filetype === 6 || filetype === 8) return { offset: at, format: "Mach-O", cpu, kind: "library" };
    return undefined;
  }
  if (startsWith(bytes, at, MZ)) {
    const pe = at + v.getUint32(at + 0x3c, true);
    if (pe + 24 + 70 > bytes.length || pe <= at || pe - at > 4096) return undefined;
    if (!startsWith(bytes, pe, [0x50, 0x45, 0, 0])) return undefined;
    const machine = v.getUint16(pe + 4, true);
    const characteristics = v.getUint16(pe + 22, true);
    if (v.getUint16(pe + 24, true) !== 0x20b) return undefined; // PE32+, the 64-bit optional header
    const cpu = machine === 0x8664 ? "x86-64" : machine === 0xaa64 ? "arm64" : `pe-${machine}`;
    const subsystem = v.getUint16(pe + 24 + 68, true);
    const kind = characteristics & 0x2000 ? "library" : "executable"; // IMAGE_FILE_DLL
    return { offset: at, format: "PE", cpu, kind, subsystem };
  }
  return undefined;
}

/** Where Bun keeps an executable's embedded files (its module graph): `[start, end)` in the file. */
export function bunSection(bytes: Uint8Array): { start: number; end: number } {
  const head = readHeader(bytes);
  if (!head) throw new Error("not an ELF, Mach-O or PE executable");
  const v = view(bytes);
  const ascii = (at: number, n: number) =>
    new TextDecoder().decode(bytes.subarray(at, at + n)).replace(/\0.*$/s, "");
  if (head.format === "ELF") {
    const shoff = Number(v.getBigUint64(40, true));
    const [shentsize, shnum, shstrndx] = [
      v.getUint16(58, true),
      v.getUint16(60, true),
      v.getUint16(62, true),
    ];
    const strtab = Number(v.getBigUint64(shoff + shstrndx * shentsize + 24, true));
    for (let i = 0; i < shnum; i++) {
      const sh = shoff + i * shentsize;
      if (ascii(strtab + v.getUint32(sh, true), 16) !== ".bun") continue;
      const start = Number(v.getBigUint64(sh + 24, true));
      return { start, end: start + Number(v.getBigUint64(sh + 32, true)) };
    }
  } else if (head.format === "Mach-O") {
    for (const cmd of loadCommands(bytes)) {
      if (cmd.cmd !== 0x19 || ascii(cmd.at + 8, 16) !== "__BUN") continue; // LC_SEGMENT_64
      const start = Number(v.getBigUint64(cmd.at + 40, true));
      return { start, end: start + Number(v.getBigUint64(cmd.at + 48, true)) };
    }
  } else {
    const pe = v.getUint32(0x3c, true);
    const sections = v.getUint16(pe + 6, true);
    const table = pe + 24 + v.getUint16(pe + 20, true);
    for (let i = 0; i < sections; i++) {
      const sh = table + i * 40;
      if (ascii(sh, 8) !== ".bun") continue;
      const start = v.getUint32(sh + 20, true);
      return { start, end: start + v.getUint32(sh + 16, true) };
    }
  }
  throw new Error(`no Bun section in this ${head.format} file: not a compiled Bun executable`);
}

/** Every native object whose header lies in `[start, end)` of `bytes`, found by its magic bytes. */
export function nativeObjectsIn(bytes: Uint8Array, start: number, end: number): NativeObject[] {
  const found: NativeObject[] = [];
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const magic of [ELF_MAGIC, MACHO_MAGIC, MZ]) {
    const needle = Buffer.from(magic);
    for (let at = buf.indexOf(needle, start); at !== -1 && at < end; at = buf.indexOf(needle, at + 1)) {
      const object = readHeader(bytes, at);
      if (object) found.push(object);
    }
  }
  return found.sort((a, b) => a.offset - b.offset);
}

function* loadCommands(bytes: Uint8Array): Generator<{ cmd: number; at: number }> {
  const v = view(bytes);
  let at = 32; // after mach_header_64
  for (let i = 0, n = v.getUint32(16, true); i < n; i++) {
    yield { cmd: v.getUint32(at, true), at };
    at += v.getUint32(at + 4, true);
  }
}

export interface MachOSignature {
  /** CodeDirectory flag 0x2: signed by no one, which is what Bun's compile writes. */
  adhoc: boolean;
  pages: number;
  /** Pages whose SHA-256 differs from the one the signature records (0 for a valid one). */
  badPages: number;
  /** How far into the file the signed pages reach; everything before the signature itself. */
  codeLimit: number;
  signatureOffset: number;
}

/**
 * The Mach-O code signature (`LC_CODE_SIGNATURE`) and a check of every page hash in its
 * CodeDirectory against the file, as the kernel checks pages when it maps them. Undefined when
 * the file carries no signature.
 */
export function machOSignature(bytes: Uint8Array): MachOSignature | undefined {
  const v = view(bytes);
  const lc = [...loadCommands(bytes)].find((c) => c.cmd === 0x1d);
  if (!lc) return undefined;
  const sig = v.getUint32(lc.at + 8, true);
  // The signature's blobs are big-endian: a SuperBlob (0xfade0cc0) indexing a CodeDirectory.
  if (v.getUint32(sig) !== 0xfade0cc0) throw new Error("LC_CODE_SIGNATURE points at no SuperBlob");
  let cd = -1;
  for (let i = 0, n = v.getUint32(sig + 8); i < n; i++) {
    const [type, offset] = [v.getUint32(sig + 12 + i * 8), v.getUint32(sig + 16 + i * 8)];
    if (type === 0 && v.getUint32(sig + offset) === 0xfade0c02) cd = sig + offset;
  }
  if (cd < 0) throw new Error("the code signature has no CodeDirectory");
  const flags = v.getUint32(cd + 12);
  const hashOffset = v.getUint32(cd + 16);
  const nCodeSlots = v.getUint32(cd + 28);
  const codeLimit = v.getUint32(cd + 32);
  const [hashSize, hashType, pageShift] = [v.getUint8(cd + 36), v.getUint8(cd + 37), v.getUint8(cd + 39)];
  if (hashType !== 2 || hashSize !== 32)
    throw new Error(`CodeDirectory hash type ${hashType} is not SHA-256`);
  const page = 2 ** pageShift;
  let badPages = 0;
  for (let i = 0; i < nCodeSlots; i++) {
    const data = bytes.subarray(i * page, Math.min((i + 1) * page, codeLimit));
    const want = bytes.subarray(cd + hashOffset + i * 32, cd + hashOffset + (i + 1) * 32);
    const got = new Bun.CryptoHasher("sha256").update(data).digest();
    if (!got.equals(want)) badPages++;
  }
  return { adhoc: (flags & 0x2) !== 0, pages: nCodeSlots, badPages, codeLimit, signatureOffset: sig };
}
