import { BoutiqueError, UniqueViolationError } from '../../errors.js';
import type { Change } from '../../store/change.js';
import type { ListParams } from '../../store/list.js';
import { requireCurrent, type Precondition } from '../../store/precondition.js';
import type { Committed, WritePath, Written, WriteTx } from '../../store/write-path.js';
import type { Connection, Positioned } from '../../store/types.js';
import type { ResourceContext, Versioned } from '../resource.js';
import type { Customer, CustomerSortField } from './schema.js';
import type { CustomerRow } from './table.js';
import { customerVersion, presentCustomer } from './presenter.js';
import type { CustomerFields, CustomerFilters, CustomerRepository } from './repository.js';

export const CUSTOMERS = 'customers';

/** A customer by id is one SELECT (src/store/types.ts ReadHint). */
const ONE_STATEMENT = { oneStatement: true } as const;

const versioned = (row: CustomerRow): Versioned<Customer> => ({ value: presentCustomer(row), version: customerVersion(row) });
const maybeVersioned = (row: CustomerRow | undefined): Versioned<Customer> | undefined => (row === undefined ? undefined : versioned(row));
const change = (action: Change['action'], data: Customer, previous?: Customer): Change => ({ resource: CUSTOMERS, action, data, previous });

function conflict(err: unknown): never {
  if (err instanceof UniqueViolationError) {
    throw new BoutiqueError('CONFLICT', 'A customer with this email already exists.', { errors: [{ field: 'email', message: 'is already in use' }] });
  }
  throw err;
}

/**
 * Customers' rules, for every transport: reads, and the one write path — each write locks the
 * row it changes, checks it exists and its If-Match (requireCurrent), writes, presents, and says
 * what changed. Routes only translate HTTP to these calls and back.
 */
export class CustomerService {
  constructor(
    private readonly storage: Pick<Connection, 'readAt'>,
    private readonly repository: CustomerRepository,
    private readonly writes: WritePath,
    private readonly deleteChildren: ResourceContext['deleteChildren'],
  ) {}

  /** The customer as of the change-log position returned with it (undefined: no such customer). */
  async get(id: number): Promise<Positioned<Versioned<Customer> | undefined>> {
    const { value: row, position } = await this.storage.readAt((run) => this.repository.get(id, run), ONE_STATEMENT);
    return { value: maybeVersioned(row), position };
  }

  async list(params: ListParams<CustomerSortField, CustomerFilters>): Promise<Positioned<{ items: Customer[]; total: number }>> {
    const { value, position } = await this.storage.readAt((run) => this.repository.list(params, run));
    return { value: { items: value.rows.map(presentCustomer), total: value.total }, position };
  }

  create(fields: CustomerFields): Promise<Committed<Versioned<Customer>>> {
    return this.writes.write(async (tx) => {
      const row = await this.repository.insert(tx, normalized(fields), now()).catch(conflict);
      const result = versioned(row);
      return { value: result, changes: [change('created', result.value)] };
    });
  }

  /** PUT and PATCH alike: the fields given replace the stored ones. */
  update(id: number, fields: Partial<CustomerFields>, precondition?: Precondition): Promise<Committed<Versioned<Customer>>> {
    return this.writes.write(async (tx) => {
      const current = requireCurrent(await this.repository.lock(tx, id), customerVersion, precondition, 'customer', `No customer with id ${id}.`);
      const row = await this.repository.update(tx, current, normalized(fields), now()).catch(conflict);
      const result = versioned(row);
      return { value: result, changes: [change('updated', result.value, presentCustomer(current))] };
    });
  }

  /** Deletes the customer and, in the same transaction, every row that belongs to it (its orders). */
  delete(id: number, precondition?: Precondition): Promise<Committed<undefined>> {
    return this.writes.write(async (tx) => this.#delete(tx, id, precondition));
  }

  async #delete(tx: WriteTx, id: number, precondition: Precondition | undefined): Promise<Written<undefined>> {
    const current = requireCurrent(await this.repository.lock(tx, id), customerVersion, precondition, 'customer', `No customer with id ${id}.`);
    const children = await this.deleteChildren(tx, CUSTOMERS, id);
    await this.repository.delete(tx, id);
    return { value: undefined, changes: [...children, change('deleted', presentCustomer(current))] };
  }
}

/** Names are stored trimmed; what is blank was refused by the schema already. */
function normalized<F extends Partial<CustomerFields>>(fields: F): F {
  return fields.name === undefined ? fields : { ...fields, name: fields.name.trim() };
}

const now = (): string => new Date().toISOString();
