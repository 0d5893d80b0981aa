/** A typed event emitter; a listener that throws is logged, never fatal. */
export class Emitter {
    emitterLog;
    listeners = new Map();
    constructor(emitterLog) {
        this.emitterLog = emitterLog;
    }
    /** Calls listener on each type event until the returned function is called. */
    on(type, listener) {
        let set = this.listeners.get(type);
        if (set === undefined) {
            set = new Set();
            this.listeners.set(type, set);
        }
        set.add(listener);
        return () => this.off(type, listener);
    }
    off(type, listener) {
        this.listeners.get(type)?.delete(listener);
    }
    emit(type, payload) {
        for (const listener of [...(this.listeners.get(type) ?? [])]) {
            try {
                listener(payload);
            }
            catch (err) {
                this.emitterLog.error(`a ${String(type)} listener threw`, err);
            }
        }
    }
}
