// The keepalived daemon options file: -P for the vrrp_only lab concession is
// added to the host's options line (nothing else changes) and taken back only
// when lvsplay added it; -f is read so lvsplay edits the file keepalived reads.
import { describe, expect, it } from "vitest";
import {
  configFileOption,
  daemonOptionsContent,
  editedOptions,
  OPTION_MARKER,
} from "../../src/operations/lvs/keepalived-mode.js";

const DEBIAN =
  '# Options to pass to keepalived\n\n# DAEMON_ARGS are appended to the keepalived command-line\nDAEMON_ARGS=""\n';

describe("keepalived daemon options", () => {
  it("adds -P to the host's options line, keeping every other line and option", () => {
    const withSnmp = DEBIAN.replace('DAEMON_ARGS=""', 'DAEMON_ARGS="--snmp -D"');
    expect(editedOptions(withSnmp, "debian", true)).toBe(
      `# Options to pass to keepalived\n\n# DAEMON_ARGS are appended to the keepalived command-line\n${OPTION_MARKER}\nDAEMON_ARGS="--snmp -D -P"\n`,
    );
    expect(editedOptions(null, "rhel", true)).toBe(`${OPTION_MARKER}\nKEEPALIVED_OPTIONS="-D -P"\n`);
  });

  it("leaves options that already run VRRP only alone (a change would restart keepalived)", () => {
    expect(editedOptions('DAEMON_ARGS="-P"\n', "debian", true)).toBeUndefined();
    expect(editedOptions("KEEPALIVED_OPTIONS='-D --vrrp'\n", "rhel", true)).toBeUndefined();
    expect(editedOptions(daemonOptionsContent("debian", true), "debian", true)).toBeUndefined();
  });

  it("takes back only a -P it added", () => {
    const added = editedOptions(DEBIAN.replace('""', '"--snmp"'), "debian", true)!;
    expect(editedOptions(added, "debian", false)).toBe(DEBIAN.replace('""', '"--snmp"'));
    expect(editedOptions('DAEMON_ARGS="-P"\n', "debian", false)).toBeUndefined();
    // An earlier lvsplay's whole file goes back to the stock options.
    expect(editedOptions(daemonOptionsContent("rhel", true), "rhel", false)).toBe(
      daemonOptionsContent("rhel", false),
    );
  });

  it("reads the config file keepalived is started with", () => {
    expect(configFileOption('DAEMON_ARGS="-D -f /etc/k/site.conf"', "DAEMON_ARGS")).toBe("/etc/k/site.conf");
    expect(configFileOption("KEEPALIVED_OPTIONS=--use-file=/x.conf", "KEEPALIVED_OPTIONS")).toBe("/x.conf");
    expect(configFileOption('DAEMON_ARGS="-Df/y.conf"\n', "DAEMON_ARGS")).toBe("/y.conf");
    expect(configFileOption('DAEMON_ARGS="-P"\n# DAEMON_ARGS="-f /old"', "DAEMON_ARGS")).toBeUndefined();
  });
});
