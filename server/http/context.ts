import type { Fabric } from "../fabric/fabric.ts";
import type { NodeIdentity } from "../identity/identity.ts";
import type { Logger } from "../log.ts";
import type { NoticeService } from "../notices/notice-service.ts";
import type { PaneCatalog } from "../panes/pane-catalog.ts";
import type { SettingsStore } from "../settings/settings-store.ts";

/** What the HTTP sub-apps may use; built by `node.ts`, faked freely in tests. */
export interface HttpContext {
  identity: NodeIdentity;
  settings: SettingsStore;
  fabric: Fabric;
  /** The inbox: features `add()` notices to it. */
  notices: NoticeService;
  panes: PaneCatalog;
  log: Logger;
  dataDir: string;
  startedAt: number;
  /** The port actually bound; known only after listening, hence a function. */
  port(): number;
  /** The name peers see: `--name`, else the setting, else the host name. */
  nodeName(): string;
  /** This node's `ws://…/peer-ws` URLs, LAN first. */
  addresses(): string[];
}

/** Hono environment: the remote address comes from Bun's server, passed in by the listener. */
export type HttpEnv = {
  Bindings: {
    remoteAddress?: string;
    /**
     * Lifts the listener's 10 s idle limit for this request (`Server.timeout`): for a call that
     * waits for a person or a peer, such as `POST /api/network/ask-peer`.
     */
    waitLonger?: (seconds: number) => void;
  };
};
