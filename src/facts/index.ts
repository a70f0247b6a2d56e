// Every fact lvsplay knows, by name (fixture tests and tooling look facts up here).
import type { Fact } from "../engine/types.js";
import { commandStatusFact } from "./command-status.js";
import { fileFact } from "./file.js";
import { firewalldFact } from "./firewalld.js";
import { httpProbeFact } from "./http-probe.js";
import { iptablesFact } from "./iptables.js";
import { ipvsFact } from "./ipvs.js";
import { keepalivedConfigFact } from "./keepalived-config.js";
import { kernelFact } from "./kernel.js";
import { networkFact } from "./network.js";
import { nftablesFact } from "./nftables.js";
import { osFact } from "./os.js";
import { packagesFact } from "./packages.js";
import { pathExistsFact } from "./path-exists.js";
import { scriptFilesFact } from "./script-files.js";
import { serviceFact } from "./service.js";
import { symlinkFact } from "./symlink.js";
import { sysctlFact } from "./sysctl.js";
import { vrrpSettleFact } from "./vrrp-settle.js";

export const ALL_FACTS: ReadonlyMap<string, Fact<unknown>> = new Map(
  [
    commandStatusFact,
    fileFact,
    firewalldFact,
    httpProbeFact,
    iptablesFact,
    ipvsFact,
    keepalivedConfigFact,
    kernelFact,
    networkFact,
    nftablesFact,
    osFact,
    packagesFact,
    pathExistsFact,
    scriptFilesFact,
    serviceFact,
    symlinkFact,
    sysctlFact,
    vrrpSettleFact,
  ].map((f) => [f.name, f as Fact<unknown>]),
);
