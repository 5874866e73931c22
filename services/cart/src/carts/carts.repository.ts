import { Pool } from 'pg';
import { isUuid, query } from '../database';

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

export type AddItemOutcome = 'added' | 'cart_not_found' | 'cart_closed' | 'quantity_too_large' | 'amount_too_large';

export type AddItemResult = { outcome: 'added'; cart: Cart } | { outcome: Exclude<AddItemOutcome, 'added'> };

export class CartsRepository {
  constructor(private readonly pool: Pool) {}

  async create(userId: string): Promise<string> {
    const [row] = await query<{ id: string }>(this.pool, 'INSERT INTO carts (user_id) VALUES ($1) RETURNING id', [userId]);
    if (!row) throw new Error('INSERT … RETURNING gave no row');
    return row.id;
  }

  async get(cartId: string): Promise<Cart | null> {
    if (!isUuid(cartId)) return null;
    const [row] = await query<{ cart: CartJson | null }>(this.pool, `SELECT ${CART_JSON_SQL('$1')} AS cart`, [cartId]);
    return row?.cart ? cartFromJson(row.cart) : null;
  }

  /**
   * Adds an item (the same SKU again adds to its quantity and takes the newer price), unless the
   * SKU's summed quantity would pass MAX_QUANTITY or the cart's total MAX_TOTAL_CENTS, and returns
   * the cart as it now is. Refused once the cart has a paid or unfinished order, so a charge never
   * disagrees with the cart. One round trip: the function `cart_add_item` (migration
   * 1700000000002) locks the cart row for the checks and the write, so no interleaving of
   * concurrent adds (or of an add and a new order) passes a limit.
   */
  async addItem(cartId: string, item: CartItem): Promise<AddItemResult> {
    if (!isUuid(cartId)) return { outcome: 'cart_not_found' };
    const rows = await query<{ outcome: AddItemOutcome; owner: string | null; item_sku: string | null; item_quantity: number | null; item_unit_price_cents: number | null }>(
      this.pool,
      'SELECT outcome, owner, item_sku, item_quantity, item_unit_price_cents FROM cart_add_item($1, $2, $3, $4, $5, $6)',
      [cartId, item.sku, item.quantity, item.unitPriceCents, MAX_QUANTITY, MAX_TOTAL_CENTS],
    );
    const outcome = rows[0]?.outcome;
    if (!outcome) throw new Error('cart_add_item returned no row');
    if (outcome !== 'added') return { outcome };
    const items = rows.map((r) => ({ sku: r.item_sku as string, quantity: r.item_quantity as number, unitPriceCents: r.item_unit_price_cents as number }));
    return { outcome, cart: { id: cartId, userId: rows[0]?.owner as string, status: 'open', items } };
  }
}

/** A cart as one JSON value: the cart row, whether it is paid, and its items in the order they were added. */
export interface CartJson {
  id: string;
  userId: string;
  paid: boolean;
  items: CartItem[];
}

/** SQL for one cart as JSON (NULL when there is none), the cart id in `param`; shared by the cart and checkout reads. */
export function CART_JSON_SQL(param: string): string {
  return `(SELECT json_build_object(
            'id', c.id, 'userId', c.user_id,
            'paid', EXISTS (SELECT 1 FROM orders o WHERE o.cart_id = c.id AND o.status = 'paid'),
            'items', COALESCE((SELECT json_agg(json_build_object('sku', ci.sku, 'quantity', ci.quantity, 'unitPriceCents', ci.unit_price_cents)
                                        ORDER BY ci.added_at, ci.sku)
                                 FROM cart_items ci WHERE ci.cart_id = c.id), '[]'::json))
             FROM carts c WHERE c.id = ${param})`;
}

export function cartFromJson(json: CartJson): Cart {
  return { id: json.id, userId: json.userId, status: json.paid ? 'checked_out' : 'open', items: json.items };
}
