// The LVS operations, wired into stages by playbooks/lvs-ha.yaml.
import type { Operation } from "../../engine/types.js";
import { discoverOperation } from "./discover.js";
import { drSysctlOperation } from "./dr-sysctl.js";
import { firewalldOpenOperation } from "./firewalld-open.js";
import { ipvsSysctlOperation } from "./ipvs-sysctl.js";
import { keepalivedOperation } from "./keepalived.js";
import { keepalivedModeOperation } from "./keepalived-mode.js";
import { loVipOperation } from "./lo-vip.js";
import { marksOperation } from "./marks.js";
import { packagesOperation } from "./packages.js";
import { persistOperation } from "./persist.js";
import { verifyOperation } from "./verify.js";
import { verifyClusterOperation } from "./verify-cluster.js";

export const lvsOperations = [
  packagesOperation,
  discoverOperation,
  marksOperation,
  persistOperation,
  firewalldOpenOperation,
  drSysctlOperation,
  ipvsSysctlOperation,
  loVipOperation,
  keepalivedModeOperation,
  keepalivedOperation,
  verifyOperation,
  verifyClusterOperation,
] as unknown as readonly Operation<never>[];
