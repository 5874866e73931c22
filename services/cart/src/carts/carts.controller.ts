import { Body, Controller, Get, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { CheckoutService, type CheckoutResult } from '../checkout/checkout.service';
import { InvalidRequestError, NotFoundError, StateError } from '../errors';
import { parseRequest } from '../http/validation';
import { CartsRepository, MAX_QUANTITY, MAX_TOTAL_CENTS, totalCents, type Cart } from './carts.repository';
import { addItemBody, checkoutBody, createCartBody, idempotencyKeyHeader } from './carts.dto';

export interface CartView {
  cartId: string;
  userId: string;
  status: Cart['status'];
  items: Cart['items'];
  totalCents: number;
}

@Controller('carts')
export class CartsController {
  constructor(
    private readonly carts: CartsRepository,
    private readonly checkoutService: CheckoutService,
  ) {}

  @Post()
  async create(@Body() body: unknown): Promise<{ cartId: string }> {
    const { userId } = parseRequest(createCartBody, body);
    return { cartId: await this.carts.create(userId) };
  }

  @Post(':cartId/items')
  async addItem(@Param('cartId') cartId: string, @Body() body: unknown): Promise<CartView> {
    const item = parseRequest(addItemBody, body);
    const result = await this.carts.addItem(cartId, item);
    switch (result.outcome) {
      case 'cart_not_found':
        throw new NotFoundError('cart');
      case 'cart_closed':
        throw new StateError('cart_checked_out', 'this cart is paid or being checked out; items can no longer change');
      case 'quantity_too_large':
        throw new StateError('quantity_too_large', `a cart holds at most ${MAX_QUANTITY} of one SKU`);
      case 'amount_too_large':
        throw new StateError('amount_too_large', `a cart's total must not exceed ${MAX_TOTAL_CENTS} cents (the payment provider's limit)`);
      case 'added':
        return viewOf(result.cart);
    }
  }

  @Get(':cartId')
  async get(@Param('cartId') cartId: string): Promise<CartView> {
    const cart = await this.carts.get(cartId);
    if (!cart) throw new NotFoundError('cart');
    return viewOf(cart);
  }

  @Post(':cartId/checkout')
  @HttpCode(200)
  async checkout(
    @Param('cartId') cartId: string,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Body() body: unknown,
  ): Promise<CheckoutResult> {
    if (idempotencyKey === undefined) {
      throw new InvalidRequestError('idempotency_key_required', 'the Idempotency-Key header is required for checkout');
    }
    const key = parseRequest(idempotencyKeyHeader, idempotencyKey, 'Idempotency-Key header');
    const { paymentMethod } = parseRequest(checkoutBody, body);
    return this.checkoutService.checkout({ cartId, idempotencyKey: key, paymentMethod });
  }
}

function viewOf(cart: Cart): CartView {
  return { cartId: cart.id, userId: cart.userId, status: cart.status, items: cart.items, totalCents: totalCents(cart.items) };
}
