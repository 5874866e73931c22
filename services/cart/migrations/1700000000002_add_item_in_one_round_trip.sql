-- Up Migration
-- Adding an item in one round trip (it was five statements: BEGIN, lock, read, write, COMMIT).
-- The function locks the cart row, refuses when the cart has a pending or paid order, refuses when
-- the SKU's summed quantity or the cart's total would pass the limits the service passes in, writes
-- the item, and returns the cart's items. In a VOLATILE function each statement takes a fresh
-- snapshot (READ COMMITTED), so the checks after the lock see every add and every order that
-- committed before it: concurrent adds wait for each other, and an order's insert (its foreign key
-- check locks the cart row too) cannot slip between a check and the write.
CREATE FUNCTION cart_add_item(
  p_cart_id uuid,
  p_sku text,
  p_quantity integer,
  p_unit_price_cents integer,
  p_max_quantity integer,
  p_max_total_cents bigint
) RETURNS TABLE (outcome text, owner text, item_sku text, item_quantity integer, item_unit_price_cents integer)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_owner text;
  v_existing integer;
  v_others bigint;
  v_quantity integer;
BEGIN
  SELECT c.user_id INTO v_owner FROM carts c WHERE c.id = p_cart_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'cart_not_found'::text, NULL::text, NULL::text, NULL::integer, NULL::integer;
    RETURN;
  END IF;
  IF EXISTS (SELECT 1 FROM orders o WHERE o.cart_id = p_cart_id AND o.status IN ('pending', 'paid')) THEN
    RETURN QUERY SELECT 'cart_closed'::text, v_owner, NULL::text, NULL::integer, NULL::integer;
    RETURN;
  END IF;
  SELECT COALESCE(MAX(ci.quantity) FILTER (WHERE ci.sku = p_sku), 0),
         COALESCE(SUM(ci.quantity::bigint * ci.unit_price_cents) FILTER (WHERE ci.sku <> p_sku), 0)
    INTO v_existing, v_others
    FROM cart_items ci WHERE ci.cart_id = p_cart_id;
  v_quantity := v_existing + p_quantity;
  IF v_quantity > p_max_quantity THEN
    RETURN QUERY SELECT 'quantity_too_large'::text, v_owner, NULL::text, NULL::integer, NULL::integer;
    RETURN;
  END IF;
  IF v_others + v_quantity::bigint * p_unit_price_cents > p_max_total_cents THEN
    RETURN QUERY SELECT 'amount_too_large'::text, v_owner, NULL::text, NULL::integer, NULL::integer;
    RETURN;
  END IF;
  -- The same SKU again adds to its quantity and takes the newer price.
  INSERT INTO cart_items AS ci (cart_id, sku, quantity, unit_price_cents)
  VALUES (p_cart_id, p_sku, v_quantity, p_unit_price_cents)
  ON CONFLICT (cart_id, sku) DO UPDATE SET quantity = EXCLUDED.quantity, unit_price_cents = EXCLUDED.unit_price_cents;
  RETURN QUERY
    SELECT 'added'::text, v_owner, ci.sku, ci.quantity, ci.unit_price_cents
      FROM cart_items ci WHERE ci.cart_id = p_cart_id ORDER BY ci.added_at, ci.sku;
END;
$$;

-- Down Migration
DROP FUNCTION cart_add_item(uuid, text, integer, integer, integer, bigint);
