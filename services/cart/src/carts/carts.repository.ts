import { Pool } from 'pg';
import { isUuid, query, transaction } from '../database';

/** Largest quantity of one SKU in a cart (one add, and the sum of adds). */
export const MAX_QUANTITY = 1000;
/** Largest cart total: Stripe's maximum charge, 99 999 999 in the smallest currency unit. */
export const MAX_TOTAL_CENTS = 99_999_999;

export function totalCents(items: readonly CartItem[]): number {
  return items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
}

export interface CartItem {
  sku: string;
  quantity: number;
  unitPriceCents: number;
}

export interface Cart {
  id: string;
  userId: string;
  /** `checked_out` once an order for it is paid. */
  status: 'open' | 'checked_out';
  items: CartItem[];
}

export type AddItemResult = 'added' | 'cart_not_found' | 'cart_closed' | 'quantity_too_large' | 'amount_too_large';

export class CartsRepository {
  constructor(private readonly pool: Pool) {}

  async create(userId: string): Promise<string> {
    const [row] = await query<{ id: string }>(this.pool, 'INSERT INTO carts (user_id) VALUES ($1) RETURNING id', [userId]);
    if (!row) throw new Error('INSERT … RETURNING gave no row');
    return row.id;
  }

  async get(cartId: string): Promise<Cart | null> {
    if (!isUuid(cartId)) return null;
    const [cart] = await query<{ id: string; user_id: string; paid: boolean }>(
      this.pool,
      `SELECT id, user_id, EXISTS (SELECT 1 FROM orders o WHERE o.cart_id = c.id AND o.status = 'paid') AS paid
         FROM carts c WHERE id = $1`,
      [cartId],
    );
    if (!cart) return null;
    const items = await query<{ sku: string; quantity: number; unit_price_cents: number }>(
      this.pool,
      'SELECT sku, quantity, unit_price_cents FROM cart_items WHERE cart_id = $1 ORDER BY added_at, sku',
      [cartId],
    );
    return {
      id: cart.id,
      userId: cart.user_id,
      status: cart.paid ? 'checked_out' : 'open',
      items: items.map((i) => ({ sku: i.sku, quantity: i.quantity, unitPriceCents: i.unit_price_cents })),
    };
  }

  /**
   * Adds an item (the same SKU again adds to its quantity and takes the newer price), unless the
   * SKU's summed quantity would pass MAX_QUANTITY or the cart's total MAX_TOTAL_CENTS. Refused
   * once the cart has a paid or unfinished order, so a charge never disagrees with the cart.
   * The cart row is locked for the check and the write: concurrent adds (and the FK check of a
   * new order) wait for each other, so no interleaving passes a limit.
   */
  async addItem(cartId: string, item: CartItem): Promise<AddItemResult> {
    if (!isUuid(cartId)) return 'cart_not_found';
    return transaction(this.pool, async (client) => {
      const [cart] = await query<{ closed: boolean }>(
        client,
        `SELECT EXISTS (SELECT 1 FROM orders o WHERE o.cart_id = c.id AND o.status IN ('pending', 'paid')) AS closed
           FROM carts c WHERE c.id = $1 FOR UPDATE OF c`,
        [cartId],
      );
      if (!cart) return 'cart_not_found';
      if (cart.closed) return 'cart_closed';
      const rows = await query<{ sku: string; quantity: number; unit_price_cents: number }>(
        client,
        'SELECT sku, quantity, unit_price_cents FROM cart_items WHERE cart_id = $1',
        [cartId],
      );
      const quantity = (rows.find((r) => r.sku === item.sku)?.quantity ?? 0) + item.quantity;
      if (quantity > MAX_QUANTITY) return 'quantity_too_large';
      const others = rows.filter((r) => r.sku !== item.sku).map((r) => ({ sku: r.sku, quantity: r.quantity, unitPriceCents: r.unit_price_cents }));
      if (totalCents([...others, { ...item, quantity }]) > MAX_TOTAL_CENTS) return 'amount_too_large';
      await query(
        client,
        `INSERT INTO cart_items (cart_id, sku, quantity, unit_price_cents) VALUES ($1, $2, $3, $4)
         ON CONFLICT (cart_id, sku) DO UPDATE SET quantity = EXCLUDED.quantity, unit_price_cents = EXCLUDED.unit_price_cents`,
        [cartId, item.sku, quantity, item.unitPriceCents],
      );
      return 'added';
    });
  }
}
