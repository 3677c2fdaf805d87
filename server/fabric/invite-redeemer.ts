import type { PairResult, PairStage, PeerRow } from "../../protocol/network.ts";
import { invitePaths, type PeerPath } from "../../protocol/peer.ts";
import { HandshakeError } from "./handshake.ts";
import { decodeInvite, InviteFormatError } from "./invite-codec.ts";
import { type DialAttempt, UnreachableError } from "./links/dialer.ts";

/** What redeeming needs of the hub: a dial of the invite's addresses, pinned to its key, with its token. */
interface InviteDialer {
  dial(
    paths: readonly PeerPath[],
    options: {
      expectKey: Uint8Array;
      token: string;
      expectId: string;
      onStage?: (stage: PairStage, address: string) => void;
    },
  ): Promise<PeerRow>;
}

/**
 * Redeems an invite: decodes it, then has the hub try its addresses in order (LAN first) until one
 * links up. A refusal by the inviting node ends the attempt at once; an unreachable address, or a
 * different node answering there, moves on to the next one.
 */
export async function redeemInvite(
  hub: InviteDialer,
  selfId: string,
  invite: string,
  onStage?: (stage: PairStage, address: string) => void,
): Promise<PairResult> {
  let payload: ReturnType<typeof decodeInvite>;
  try {
    payload = decodeInvite(invite);
  } catch (err) {
    if (err instanceof InviteFormatError) return { ok: false, error: err.message };
    throw err;
  }
  if (payload.n === selfId) return { ok: false, error: "this is your own invite" };
  const paths = invitePaths(payload);
  try {
    const peer = await hub.dial(paths, {
      expectKey: Buffer.from(payload.k, "base64"),
      token: payload.t,
      expectId: payload.n,
      onStage,
    });
    return { ok: true, peer };
  } catch (err) {
    if (err instanceof HandshakeError && err.code === "refused") return { ok: false, error: err.message };
    const attempts: DialAttempt[] =
      err instanceof UnreachableError
        ? err.attempts
        : paths.slice(0, 1).map((path) => ({ path, error: err as Error }));
    const wrongNode = attempts.some(
      (a) => a.error instanceof HandshakeError && a.error.code === "wrong_node",
    );
    return {
      ok: false,
      error: wrongNode
        ? "a different node answered at the invite's address"
        : `could not reach the inviting node (${attempts.map((a) => `${a.path.address}: ${a.error.message}`).join("; ")})`,
    };
  }
}
