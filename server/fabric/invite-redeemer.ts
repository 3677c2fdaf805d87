import type { PairResult, PairStage, PeerRow } from "../../protocol/network.ts";
import { HandshakeError } from "./handshake.ts";
import { decodeInvite, InviteFormatError } from "./invite-codec.ts";

/** What redeeming needs of the hub: a dial pinned to the invite's key, carrying its token. */
interface Dialer {
  dial(
    address: string,
    options: { expectKey: Uint8Array; token: string; expectId: string; onStage?: (stage: PairStage) => void },
  ): Promise<PeerRow>;
}

/**
 * Redeems an invite: decodes it, then tries its addresses in order (LAN first) until one links
 * up. A refusal by the inviting node ends the attempt at once; an unreachable address, or a
 * different node answering there, moves on to the next address.
 */
export async function redeemInvite(
  hub: Dialer,
  selfId: string,
  invite: string,
  onStage?: (stage: PairStage, address?: string) => void,
): Promise<PairResult> {
  let payload: ReturnType<typeof decodeInvite>;
  try {
    payload = decodeInvite(invite);
  } catch (err) {
    if (err instanceof InviteFormatError) return { ok: false, error: err.message };
    throw err;
  }
  if (payload.n === selfId) return { ok: false, error: "this is your own invite" };
  const tried: string[] = [];
  for (const address of payload.a) {
    try {
      const peer = await hub.dial(address, {
        expectKey: Buffer.from(payload.k, "base64"),
        token: payload.t,
        expectId: payload.n,
        onStage: (stage) => onStage?.(stage, address),
      });
      return { ok: true, peer };
    } catch (err) {
      if (err instanceof HandshakeError && err.code === "refused") return { ok: false, error: err.message };
      tried.push(`${address}: ${(err as Error).message}`);
    }
  }
  const wrongNode = tried.some((t) => t.includes("different node"));
  return {
    ok: false,
    error: wrongNode
      ? "a different node answered at the invite's address"
      : `could not reach the inviting node (${tried.join("; ")})`,
  };
}
