export * from './span-model';
