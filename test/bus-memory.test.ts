import { MemoryBus } from '../src/bus/memory-bus.js';
import { busContract } from './bus-contract.js';

busContract('in-process', async () => new MemoryBus());
