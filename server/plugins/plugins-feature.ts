import { chatFeature } from "../chat/chat-feature.ts";
import { defineFeature } from "../features/feature.ts";
import { noticesFeature } from "../notices/notices-feature.ts";
import { PluginGrantsStore } from "./grants-store.ts";
import { pluginApi } from "./plugin-api.ts";
import { PluginService } from "./plugin-service.ts";

/**
 * Third-party panes as their person manages them (docs/architecture.md, "Plugins in a sandbox"):
 * what each may do beyond its own frame and rooms, whether it is on, and the calls its frame
 * makes through the workspace, at `/api/plugins`. The frame page and the plugin files are served
 * outside `/api` (server/plugins/frame-routes.ts, server/http/plugin-routes.ts); both ask the pane
 * catalog, which this feature keeps told of the plugins that are turned off.
 */
export const pluginsFeature = defineFeature({
  name: "plugins",
  create(ctx, features) {
    const plugins = new PluginService({
      panes: ctx.panes,
      grants: new PluginGrantsStore(ctx.db),
      audit: ctx.fabric.audit,
    });
    return {
      api: plugins,
      routes: {
        mount: "plugins",
        app: pluginApi({
          plugins,
          hub: ctx.fabric.hub,
          notices: features.get(noticesFeature),
          chat: features.get(chatFeature),
        }),
      },
      start() {
        const narrowed = plugins.narrowToManifests();
        if (narrowed > 0)
          ctx.log.info("plugins: grants no pane.json asks for any more were dropped", { narrowed });
      },
    };
  },
});
