// The data the LVS operations hand each other, as typed keys (engine/data.ts):
// lvs.discover produces each director's data plane, lvs.marks each director's
// mark allocation and rules, lvs.verify each director's observation for the
// cluster checks. Schemas validate values that come from outside the engine
// (operation fixtures); inside a run values only travel through the keys.
import { z } from "zod";
import { DataKey, type Need } from "../../engine/data.js";
import type { Inventory } from "../../inventory/model.js";
import { directorNames } from "../../lvs/index.js";

const dataPlaneSchema = z.strictObject({
  name: z.string(),
  /** Data-plane interface facing the real servers (VRRP and the VIP live here). */
  interface: z.string(),
  /** MAC the director forwards with: the one its peers must exclude. */
  mac: z.string(),
  address: z.string(),
  /** Marks this host uses outside lvsplay: set by rules it does not own, or its own keepalived virtual servers. */
  foreignMarks: z.array(z.number().int()).readonly(),
});
export type DataPlane = z.infer<typeof dataPlaneSchema>;

/** A director's data plane (interface, MAC, address, foreign marks): produced by lvs.discover. */
export const DATA_PLANE = new DataKey<DataPlane>("lvs.data_plane", "data plane", dataPlaneSchema);

const markPlanSchema = z.strictObject({
  /** Service name → fwmark on this director. */
  marks: z.record(z.string(), z.number().int()),
  /**
   * The desired mark rules in iptables-save syntax: the chain's own rules on
   * the iptables back-ends, the equivalent lines (peers excluded through
   * peerSet) where nftables or firewalld rich rules run them.
   */
  rules: z.array(z.string()).readonly(),
  /** The set of peer MACs the rules exclude through (nftables, firewalld ipset); null: per-MAC matches. */
  peerSet: z
    .strictObject({ name: z.string(), members: z.array(z.string()).readonly() })
    .nullable()
    .default(null),
});
export type MarkPlan = z.infer<typeof markPlanSchema>;

/** A director's mark allocation and rules: produced by lvs.marks. */
export const MARK_PLAN = new DataKey<MarkPlan>("lvs.mark_plan", "mark rules", markPlanSchema);

const realServerSchema = z.strictObject({
  address: z.string(),
  port: z.number().int(),
  forward: z.string(),
  weight: z.number(),
});
const ipvsServiceSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("fwmark"),
    mark: z.number().int(),
    scheduler: z.string(),
    realServers: z.array(realServerSchema),
  }),
  z.strictObject({
    kind: z.literal("vip"),
    protocol: z.enum(["tcp", "udp"]),
    vip: z.string(),
    port: z.number().int(),
    scheduler: z.string(),
    realServers: z.array(realServerSchema),
  }),
]);
const observationSchema = z.strictObject({
  vipsHeld: z.array(z.string()).readonly(),
  /** How long keepalived had run when the VIPs were observed (null: not running, or not known). */
  keepalivedUptimeSec: z.number().nullable().default(null),
  chainRules: z.array(z.string()).readonly(),
  /** Peer sets the live rules exclude through (set name → MACs), for the loop analysis. */
  peerSets: z.record(z.string(), z.array(z.string()).readonly()).default({}),
  ipvs: z.strictObject({ available: z.boolean(), services: z.array(ipvsServiceSchema).readonly() }),
});
export type DirectorObservation = z.infer<typeof observationSchema>;

/** What a director reports for the cluster checks: produced by lvs.verify. */
export const OBSERVATION = new DataKey<DirectorObservation>(
  "lvs.observation",
  "observations",
  observationSchema,
);

/** Every key the LVS operations use (fixtures look keys up by name). */
export const LVS_DATA_KEYS = [DATA_PLANE, MARK_PLAN, OBSERVATION] as const;

/** A need for a key from every director. */
export const directorsOf = (key: Need["key"], inventory: Inventory): Need => ({
  key,
  hosts: [...directorNames(inventory)],
});

/** A need for a key from the host itself. */
export const selfOf = (key: Need["key"], host: string): Need => ({ key, hosts: [host] });
