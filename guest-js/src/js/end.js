  return {
    setDataModule(name, buffer) { dataModules.set(name, buffer); },
    setWorker(namespace, envJson, bindings) { worker = { namespace, env: makeEnv(envJson, bindings) }; },
    dispatchFetch,
    pumpBody,
    respondReady,
    dispatchCall,
    callSettle,
    fetchResolve,
    bodySettle,
    fetchReject,
    nextTimer,
    runTimers,
  };
})
