// The daemon's logging settings: daemon.json log-driver/log-opts validated at start-up as
// dockerd does, and the journal berthd's journald driver writes to — the system journal, or
// the journal namespace named by BERTH_JOURNAL_NAMESPACE (systemd-journald@<ns>, read back
// with `journalctl --namespace`), for hosts that give berthd a journal of its own.
import { invalidArgument, messageOf } from '../common/errors.ts';
import { validateLogConfig } from '../logs/drivers.ts';
import { DEFAULT_JOURNAL_SOCKET } from '../services/containers/log-sink.ts';

export function checkedLogDefaults(driver: string, opts: Record<string, string>): string {
  try {
    validateLogConfig(driver, opts);
  } catch (err) {
    throw invalidArgument(`failed to set log opts: ${messageOf(err)}`, err);
  }
  return driver;
}

export function journalSettings(namespace: string | undefined): { socket: string; namespace?: string } {
  if (!namespace) return { socket: DEFAULT_JOURNAL_SOCKET };
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(namespace))
    throw invalidArgument(`BERTH_JOURNAL_NAMESPACE: invalid journal namespace ${JSON.stringify(namespace)}`);
  return { socket: `/run/systemd/journal.${namespace}/socket`, namespace };
}
