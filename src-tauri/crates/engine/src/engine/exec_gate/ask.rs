//! Asking the user about a program (its process waits in the kernel while
//! the card waits for a click) and the decision log.

use airlock_protocol::GateDecision;
use std::path::Path;

use super::*;

pub(super) fn log_decision(
    log: &Path,
    session: &str,
    call: &ExecCall,
    command: &str,
    answer: &Answer,
) {
    use std::io::Write;
    let verdict = match answer {
        Answer::Allow { trust: true } => "allow+trust".to_string(),
        Answer::Allow { trust: false } => "allow".to_string(),
        Answer::Refuse(why) => format!("refuse ({why})"),
        Answer::Ask(..) => "ask".to_string(),
    };
    let line = format!(
        "{session} pid {} {} {:?} => {verdict}: {}\n",
        call.pid,
        call.program.display(),
        call.argv,
        short(command)
    );
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
    {
        let _ = f.write_all(line.as_bytes());
    }
}

pub(super) fn wait_for_user(
    listener: &ExecListener,
    call: ExecCall,
    mut rx: oneshot::Receiver<GateReply>,
    trusted: &Mutex<Trusted>,
    recent: &Mutex<Recent>,
) {
    loop {
        match rx.try_recv() {
            Ok(answer) => {
                if answer.decision == GateDecision::Allow {
                    trust(trusted, call.pid);
                    let _ = listener.allow(call.id);
                } else {
                    // Its next PATH folder gets the same answer.
                    if let Ok(mut r) = recent.lock() {
                        r.push_back((call.pid, call.argv.clone(), Instant::now(), false));
                    }
                    let _ = listener.refuse(call.id);
                }
                return;
            }
            Err(oneshot::error::TryRecvError::Closed) => {
                let _ = listener.refuse(call.id);
                return;
            }
            Err(oneshot::error::TryRecvError::Empty) => {}
        }
        // The process died or was interrupted (Ctrl-C): dropping `rx` lets
        // the actor forget the card.
        if !listener.is_pending(call.id) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
