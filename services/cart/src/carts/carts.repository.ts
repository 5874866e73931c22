import { Pool } from 'pg';
import { isUniqueViolation } from '@checkout-lab/database';
import { isUuid, query } from '../database';

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

export type AddItemResult = 'added' | 'cart_not_found' | 'cart_closed';

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
   * Adds an item (the same SKU again adds to its quantity and takes the newer price). Refused
   * once the cart has a paid or unfinished order, so a charge never disagrees with the cart.
   */
  async addItem(cartId: string, item: CartItem): Promise<AddItemResult> {
    if (!isUuid(cartId)) return 'cart_not_found';
    try {
      const rows = await query<{ outcome: AddItemResult }>(
        this.pool,
        `WITH cart AS (
           SELECT id, EXISTS (SELECT 1 FROM orders o WHERE o.cart_id = carts.id AND o.status IN ('pending', 'paid')) AS closed
             FROM carts WHERE id = $1
         ), added AS (
           INSERT INTO cart_items (cart_id, sku, quantity, unit_price_cents)
           SELECT id, $2, $3, $4 FROM cart WHERE NOT closed
           ON CONFLICT (cart_id, sku) DO UPDATE
             SET quantity = cart_items.quantity + EXCLUDED.quantity, unit_price_cents = EXCLUDED.unit_price_cents
           RETURNING 1
         )
         SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM cart) THEN 'cart_not_found'
                     WHEN EXISTS (SELECT 1 FROM added) THEN 'added'
                     ELSE 'cart_closed' END AS outcome`,
        [cartId, item.sku, item.quantity, item.unitPriceCents],
      );
      return rows[0]?.outcome ?? 'cart_not_found';
    } catch (error) {
      // Two concurrent first adds of one SKU: the loser retries as an update.
      if (isUniqueViolation(error)) return this.addItem(cartId, item);
      throw error;
    }
  }
}
