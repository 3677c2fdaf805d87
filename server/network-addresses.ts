import { networkInterfaces } from "node:os";

/**
 * The `ws://…/peer-ws` URLs other nodes can dial: the advertised address first when set, then LAN
 * IPv4, then global IPv6; `localhost` only when nothing else exists (an invite that encodes
 * localhost points the other person at their own machine).
 */
export function peerAddresses(port: number, bindHost: string, advertised: string): string[] {
  const out: string[] = [];
  if (advertised !== "") out.push(advertised);
  const loopbackOnly = bindHost === "127.0.0.1" || bindHost === "::1" || bindHost === "localhost";
  if (!loopbackOnly) {
    const v4: string[] = [];
    const v6: string[] = [];
    const anyHost = bindHost === "0.0.0.0" || bindHost === "::";
    for (const list of Object.values(networkInterfaces())) {
      for (const info of list ?? []) {
        if (info.internal) continue;
        if (!anyHost && info.address !== bindHost) continue;
        if (info.family === "IPv4") v4.push(`ws://${info.address}:${port}/peer-ws`);
        // Link-local IPv6 needs a zone id that means nothing on the other machine.
        else if (!info.address.toLowerCase().startsWith("fe80"))
          v6.push(`ws://[${info.address}]:${port}/peer-ws`);
      }
    }
    out.push(...v4, ...v6);
  }
  if (out.length === 0) out.push(`ws://localhost:${port}/peer-ws`);
  return [...new Set(out)];
}
