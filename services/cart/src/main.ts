import 'reflect-metadata';
import { runService } from '@checkout-lab/config';
import { startCartService } from './bootstrap';
import { loadConfig } from './config';

runService({ name: 'cart', loadConfig: () => loadConfig(process.env), start: startCartService });
