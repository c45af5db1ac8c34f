import type { HistoryPort } from './port.js';

/**
 * The history as seen by work on one Engine: every deployment it begins records that Engine,
 * and the open journals it reconciles are that Engine's only (a stack deploy interrupted on
 * one Engine must never be rolled back against another that has a stack of the same name).
 * Records written before Engines had names belong to the default Engine.
 *
 * Listing stays whole: get_deployment_history shows every Engine's records, each naming its
 * Engine. Closing is left to the owner of the underlying history.
 */
export function historyForEngine(history: HistoryPort, engine: string, isDefault: boolean): HistoryPort {
  return {
    begin: (start) => history.begin({ ...start, engine: start.engine ?? engine }),
    list: (query) => history.list(query),
    openJournals: (stack) =>
      history.openJournals(stack).filter((j) => (j.engine === undefined ? isDefault : j.engine === engine)),
    settleJournal: (id, outcome, note, keepJournal) => history.settleJournal(id, outcome, note, keepJournal),
    saveTask: (task) => history.saveTask(task),
    getTask: (id) => history.getTask(id),
    close: () => undefined,
  };
}
