// Public API of the namespace lab (used by the CLI and by e2e tests).

export { type LabDownResult, labDown } from "./lab-down.js";
export { INVENTORY_FILE, KEY_FILE, KNOWN_HOSTS_FILE } from "./lab-files.js";
export { type LabRestartResult, labRestart } from "./lab-restart.js";
export { labSshArgv } from "./lab-ssh.js";
export {
  LabError,
  type LabExecOptions,
  type LabOptions,
  type LabStatus,
  labExec,
  labStatus,
  type NodeStatus,
} from "./lab-status.js";
export { type LabUpOptions, type LabUpResult, labUp } from "./lab-up.js";
export type { RunResult } from "./run.js";
export { defaultTopologyFile, resolveStateDir } from "./state.js";
export {
  type LabBridge,
  type LabHost,
  type LabTopology,
  loadTopology,
  parseTopology,
  TopologyError,
} from "./topology.js";
