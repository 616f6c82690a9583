/**
 * statemachines/deployment.asl.json, bundled into the page: the graph is always the file that runs.
 */
import definitionJson from '../../statemachines/deployment.asl.json';
import type { Definition } from './workflow.ts';

export const DEFINITION = definitionJson as unknown as Definition;
