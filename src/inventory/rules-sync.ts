// Rules for lvs.connection_sync: layouts in which IPVS connection sync cannot
// work, or would not bind synced connections, are refused before anything runs.
import type { KeyPath } from "../config/yaml-source.js";
import type { RawInventory } from "./schema.js";

type Report = (path: KeyPath, message: string, target?: "key" | "value") => void;

export const checkConnectionSync = (inv: RawInventory, report: Report): void => {
  const lvs = inv.lvs;
  if (lvs && !lvs.connection_sync && lvs.connection_sync_maxlen !== undefined)
    report(
      ["lvs", "connection_sync_maxlen"],
      "connection_sync_maxlen sizes IPVS sync messages, and connection_sync is off (set connection_sync: true or remove it)",
      "key",
    );
  if (!lvs?.connection_sync) return;
  const at: KeyPath = ["lvs", "connection_sync"];
  if (lvs.vrrp_only)
    report(at, "connection_sync synchronises IPVS connections, and vrrp_only means there is no IPVS");
  if (lvs.vrrp.unicast)
    report(
      at,
      "IPVS sync messages are multicast (224.0.0.81, UDP 8848, on the data interface); " +
        "vrrp.unicast says the directors cannot reach each other by multicast",
    );
  // Sync messages carry the master's fwmark; the backup binds a synced connection only
  // through a service with that mark, so every director must use the same one.
  lvs.services.forEach((service, i) => {
    const pinned = Object.entries(service.fwmarks ?? {});
    if (new Set(pinned.map(([, mark]) => mark)).size > 1)
      report(
        ["lvs", "services", i, "fwmarks"],
        `with connection_sync every director uses one fwmark per service (sync messages carry the master's); pinned ${pinned
          .map(([d, m]) => `${d}: ${m}`)
          .join(", ")}`,
      );
  });
};
