//! A call's end, in the library's words: a trap (a limit breached inside the sandbox) or a
//! script error from the guest, mapped to [`Error`].

use crate::config::Limits;
use crate::error::{Error, LimitTrap};
use crate::sandbox::cpu::CpuMeter;
use crate::wit;

pub(crate) fn trap_to_error(trap: wasmtime::Error, limits: &Limits, meter: &CpuMeter) -> Error {
    if let Some(limit) = trap.downcast_ref::<LimitTrap>() {
        return match limit {
            LimitTrap::OutboundDenied => {
                Error::OutboundDenied(meter.fatal.lock().unwrap().clone().unwrap_or_default())
            }
            LimitTrap::TreeCpu => Error::TreeCpuExceeded {
                limit: meter.tree().map_or(limits.cpu_time, |t| t.cpu_budget),
            },
            LimitTrap::Cpu => Error::CpuTimeExceeded {
                limit: limits.cpu_time,
            },
            LimitTrap::Memory => Error::MemoryExceeded {
                limit: limits.memory_bytes,
            },
        };
    }
    if let Some(t) = trap.downcast_ref::<wasmtime::Trap>() {
        if *t == wasmtime::Trap::StackOverflow {
            return Error::StackOverflow;
        }
    }
    let message = format!("{trap:#}");
    // wasmtime caps what one call may move between guest and host (its hostcall fuel).
    if message.contains("fuel allocated for hostcalls") {
        return Error::TooLarge("it was refused before reaching the host".into());
    }
    Error::Trap(message)
}

pub(crate) fn js_to_error(e: wit::JsError) -> Error {
    use wit::ErrorKind as K;
    match e.kind {
        K::Syntax => Error::Syntax { message: e.message },
        K::Exception => Error::Exception {
            message: e.message,
            stack: e.stack,
        },
        K::NoDefaultExport => Error::NoDefaultExport(e.message),
        K::NoHandler => Error::NoHandler(e.message),
        K::BadReturn => Error::BadReturn(e.message),
        K::NeverSettled => Error::NeverSettled(e.message),
        K::InvalidWorker => Error::InvalidCode(e.message),
        K::Internal => Error::Trap(format!("engine error: {}", e.message)),
    }
}
