  return {
    setDataModule(name, buffer) { dataModules.set(name, buffer); },
    setWorker(namespace, envJson, bindings) { worker = { namespace, env: makeEnv(envJson, bindings) }; },
    dispatchFetch,
    dispatchCall,
    callSettle,
    fetchResolve,
    fetchReject,
    nextTimer,
    runTimers,
  };
})
