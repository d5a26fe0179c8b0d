import type { Connection } from '../../store/types.js';
import type { WriteTx } from '../../store/write-path.js';
import type { TransferFormat, TransferLine } from '../resource.js';
import { EXPORT_PAGE, fieldsOf, isInt, isText, isTime } from '../transfer-fields.js';
import { keysOf } from './repository.js';

export type CustomerLine = {
  type: 'customer';
  id: number;
  name: string;
  email: string;
  version: number;
  createdAt: string;
  updatedAt: string;
};

/** A customer per line, ids, versions and timestamps kept; keys in a fixed order so files compare byte for byte. */
export const customerTransfer: TransferFormat = {
  line: 'customer',

  async *export(connection: Connection): AsyncGenerator<TransferLine> {
    for (let after = 0; ; ) {
      const rows = await connection.db.selectFrom('customers').selectAll().where('id', '>', after).orderBy('id').limit(EXPORT_PAGE).execute();
      for (const c of rows) {
        const line: CustomerLine = { type: 'customer', id: c.id, name: c.name, email: c.email, version: c.version, createdAt: c.created_at, updatedAt: c.updated_at };
        yield line;
      }
      if (rows.length < EXPORT_PAGE) break;
      after = rows[rows.length - 1]!.id;
    }
  },

  parse(record, lineNo): TransferLine {
    const field = fieldsOf(record, lineNo);
    const line: CustomerLine = {
      type: 'customer',
      id: field('id', isInt),
      name: field('name', isText),
      email: field('email', (v): v is string => isText(v) && v.includes('@')),
      version: field('version', isInt),
      createdAt: field('createdAt', isTime),
      updatedAt: field('updatedAt', isTime),
    };
    return line;
  },

  async write(tx: WriteTx, lines: readonly TransferLine[]): Promise<void> {
    if (lines.length === 0) return;
    const customers = lines as unknown as readonly CustomerLine[];
    await tx.db
      .insertInto('customers')
      .values(customers.map((c) => ({ id: c.id, name: c.name, email: c.email, ...keysOf(c), version: c.version, created_at: c.createdAt, updated_at: c.updatedAt })))
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          email: eb.ref('excluded.email'),
          email_key: eb.ref('excluded.email_key'),
          name_key: eb.ref('excluded.name_key'),
          version: eb.ref('excluded.version'),
          created_at: eb.ref('excluded.created_at'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  },
};
