import 'reflect-metadata';
import { runService } from '@checkout-lab/config';
import { startPaymentService } from './bootstrap';
import { loadConfig } from './config';

runService({ name: 'payment', loadConfig: () => loadConfig(process.env), start: startPaymentService });
