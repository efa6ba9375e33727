// The authorization in force: Berth's policy first, then each Docker plugin in order; any
// of them denies. A denial is a 403 naming the rule (or plugin) and an `authz` event.
// After a container is created, its creator is recorded for `ownContainersOnly`.
import { forbidden, messageOf } from '../common/errors.ts';
import { isObject } from '../common/json.ts';
import { evaluate, type PolicyContext } from './evaluate.ts';
import type { AuthzPlugin } from './plugin.ts';
import type { Policy } from './policy.ts';
import { callerKey, describeCaller, type Answered, type Asked } from './types.ts';

export interface Denial {
  /** The policy rule or "plugin:<name>". */
  by: string;
  caller: string;
  method: string;
  uri: string;
  reason: string;
}

export interface Owners {
  get(containerId: string): string | undefined;
  set(containerId: string, owner: string): void;
}

export interface AuthorizerOptions {
  policy?: Policy;
  plugins: AuthzPlugin[];
  owners: Owners;
  context: Omit<PolicyContext, 'ownerOf'>;
  onDeny(d: Denial): void;
}

export class Authorizer {
  private readonly o: AuthorizerOptions;
  private readonly ctx: PolicyContext;

  constructor(o: AuthorizerOptions) {
    this.o = o;
    this.ctx = { ...o.context, ownerOf: (id) => o.owners.get(id) };
  }

  async request(a: Asked): Promise<void> {
    if (this.o.policy) {
      const v = evaluate(this.o.policy, a, this.ctx);
      if (!v.allow) {
        this.deny(v.rule, a, v.reason);
        throw forbidden(`authorization denied by policy rule "${v.rule}": ${v.reason}`);
      }
    }
    for (const p of this.o.plugins) {
      try {
        await p.authorizeRequest(a);
      } catch (err) {
        this.deny(`plugin:${p.name}`, a, messageOf(err));
        throw err;
      }
    }
  }

  async response(a: Asked, out: Answered): Promise<void> {
    if (a.method === 'POST' && a.path === '/containers/create' && out.status === 201 && out.body) {
      try {
        const doc = JSON.parse(out.body.toString('utf8')) as unknown;
        if (isObject(doc) && typeof doc.Id === 'string') this.o.owners.set(doc.Id, callerKey(a.subject));
      } catch {
        /* not the answer we know: nothing to record */
      }
    }
    for (const p of this.o.plugins) {
      try {
        await p.authorizeResponse(a, out);
      } catch (err) {
        this.deny(`plugin:${p.name}`, a, messageOf(err));
        throw err;
      }
    }
  }

  private deny(by: string, a: Asked, reason: string): void {
    this.o.onDeny({ by, caller: describeCaller(a.subject), method: a.method, uri: a.uri, reason });
  }
}
