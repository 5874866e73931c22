import { Controller, Get, Param } from '@nestjs/common';
import { NotFoundError } from '../errors';
import { OrdersRepository, type OrderStatus } from './orders.repository';

export interface OrderView {
  orderId: string;
  cartId: string;
  userId: string;
  status: OrderStatus;
  amountCents: number;
  currency: string;
  paymentId: string | null;
  declineCode: string | null;
  failureCode: string | null;
  createdAt: string;
}

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersRepository) {}

  @Get(':orderId')
  async get(@Param('orderId') orderId: string): Promise<OrderView> {
    const order = await this.orders.get(orderId);
    if (!order) throw new NotFoundError('order');
    return {
      orderId: order.id,
      cartId: order.cartId,
      userId: order.userId,
      status: order.status,
      amountCents: order.amountCents,
      currency: order.currency,
      paymentId: order.paymentId,
      declineCode: order.declineCode,
      failureCode: order.failureCode,
      createdAt: order.createdAt.toISOString(),
    };
  }
}
