import 'reflect-metadata';
import { runService } from '@checkout-lab/config';
import { startBillingAddressService } from './bootstrap';
import { loadConfig } from './config';

runService({ name: 'billing-address', loadConfig: () => loadConfig(process.env), start: (config) => startBillingAddressService(config) });
