// Keeps our accept rules in every iptables filter table of this network namespace while
// berthd runs (filter-rules.ts), and puts them back when someone else rewrites or flushes
// that table — Docker restarting, a firewall reload, `iptables -F`. nf_tables changes are
// seen at once through `nft monitor`; legacy iptables sends no events and is polled. A
// deletion of our own nftables table by someone else is noticed the same way and repaired.
// On a clean stop the accept rules are removed; after a SIGKILL the next start rewrites
// them in place (one chain, one jump: never duplicates).
import type { Logger } from '../common/logger.ts';
import { coalesced } from '../common/coalesce.ts';
import {
  acceptRules,
  ensureAcceptChain,
  presentFilterTables,
  removeAcceptChain,
  tableKey,
  type FilterTable,
} from './filter-rules.ts';
import { NftMonitor, type NftChange } from './nft-monitor.ts';

export interface FilterGuardOptions {
  /** Our chain in the filter tables: `BERTH-<default bridge>` (unique per daemon). */
  chain: string;
  /** Our own nftables table (family ip, bridge and ip6 share the name). */
  ownTable: string;
  /** The bridges whose traffic must pass. */
  bridges(): string[];
  /** Re-applies our own nftables tables (after someone deleted them). */
  restoreOwnTables(): Promise<void>;
  log: Logger;
  /** How often legacy tables are checked, and nf_tables ones as a backstop. */
  legacyPollMs?: number;
  backstopMs?: number;
}

/** Docker's limit on a chain name is 28 characters; a bridge name has at most 15. */
export const acceptChainName = (bridge: string) => `BERTH-${bridge}`;

export class FilterGuard {
  private readonly o: FilterGuardOptions;
  private readonly monitor: NftMonitor;
  private readonly seen = new Map<string, { rules: string[]; seen: string[] }>();
  private timers: NodeJS.Timeout[] = [];
  private debounce: NodeJS.Timeout | undefined;
  /** Per family: whether the last word nft monitor had on our own table was its deletion. */
  private readonly ownDeleted = new Map<string, boolean>();
  private stopped = false;
  /** When the last check that changed something finished (ms since epoch); for tests/logs. */
  lastRepair = 0;
  /** Checks every filter table now (coalesced). */
  readonly check: () => Promise<void>;
  /** Checks the legacy tables only: two /proc reads when there are none. */
  private readonly checkLegacy: () => Promise<void>;

  constructor(o: FilterGuardOptions) {
    this.o = o;
    this.check = coalesced(() => this.checkNow());
    this.checkLegacy = coalesced(() => this.checkNow('legacy'));
    this.monitor = new NftMonitor(
      (c) => this.onChange(c),
      (err) => o.log.warn('watching nftables failed', { err }),
    );
  }

  async start(): Promise<void> {
    this.monitor.start();
    const every = (ms: number, job: () => Promise<void>) => {
      const t = setInterval(() => void job().catch(() => {}), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.o.legacyPollMs ?? 5_000, this.checkLegacy);
    every(this.o.backstopMs ?? 60_000, this.check);
    await this.check();
  }

  private onChange(c: NftChange): void {
    if (this.stopped) return;
    const filter = c.table === 'filter' && (c.family === 'ip' || c.family === 'ip6');
    const own = c.table === this.o.ownTable;
    if (!filter && !own) return;
    // Our own table is replaced by delete + add in one transaction: only a delete that is
    // the last word on it means it is gone.
    if (own && c.object === 'table') this.ownDeleted.set(c.family, c.verb === 'delete');
    if (own && ![...this.ownDeleted.values()].some(Boolean)) return;
    if (this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.check().catch(() => {});
    }, 20);
    this.debounce.unref();
  }

  private async checkNow(only?: 'legacy'): Promise<void> {
    if (this.stopped) return;
    if (!only && [...this.ownDeleted.values()].some(Boolean)) {
      this.ownDeleted.clear();
      this.o.log.warn('our nftables table was removed by someone else: restoring it', { table: this.o.ownTable });
      await this.o.restoreOwnTables().catch((err) => this.o.log.error('restoring our nftables table failed', { err }));
    }
    const bridges = [...new Set(this.o.bridges())].sort();
    const tables = await presentFilterTables(only);
    if (only && !tables.length) return;
    let changed = false;
    for (const t of tables) {
      const k = tableKey(t);
      if (!bridges.length) {
        await removeAcceptChain(t, this.o.chain).catch((err) =>
          this.o.log.warn('removing our accept rules failed', { table: k, err }),
        );
        continue;
      }
      const rules = acceptRules(this.o.chain, bridges);
      const prev = this.seen.get(k);
      try {
        const r = await ensureAcceptChain(
          t,
          this.o.chain,
          rules,
          prev && same(prev.rules, rules) ? prev.seen : undefined,
        );
        this.seen.set(k, { rules, seen: r.seen });
        if (r.changed) {
          changed = true;
          this.o.log.info('accept rules for our bridges written to an iptables filter table', {
            table: `${t.family} filter (${t.backend})`,
            chain: this.o.chain,
          });
        }
      } catch (err) {
        this.o.log.error('cannot write accept rules for our bridges', { table: k, err });
      }
    }
    if (changed) this.lastRepair = Date.now();
  }

  /** Stops watching; with `remove`, our chains leave every table we wrote them to. */
  async stop(remove: boolean): Promise<void> {
    this.stopped = true;
    this.monitor.stop();
    for (const t of this.timers) clearInterval(t);
    if (this.debounce) clearTimeout(this.debounce);
    await this.check().catch(() => {}); // waits for a check in flight (a new one does nothing)
    if (!remove) return;
    // Also tables a previous (killed) berthd wrote to: whatever holds our chain.
    for (const t of await presentFilterTables().catch(() => [] as FilterTable[]))
      await removeAcceptChain(t, this.o.chain).catch((err) =>
        this.o.log.warn('removing our accept rules failed', { table: tableKey(t), err }),
      );
  }
}

const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
