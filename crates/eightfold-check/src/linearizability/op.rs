//! The checker's view of one operation: who called what, when, and what came back.

/// One operation of a history, as the checker sees it.
///
/// Times are any monotone unit (virtual nanoseconds for eightfold histories, line indices
/// for the Porcupine corpus). Operation `a` happens before `b` iff `a.ret < b.call`; equal
/// times count as concurrent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation<I, O> {
    /// The client (process) that issued it.
    pub client: u32,
    /// What was asked.
    pub input: I,
    /// What came back; `None` = unknown (a timeout): every state accepts it, and the
    /// operation still has its effect if it is linearized.
    pub output: Option<O>,
    /// When it was invoked.
    pub call: u64,
    /// When it returned; `None` = never (indeterminate): it may take effect at any point
    /// after `call`, or not at all.
    pub ret: Option<u64>,
}

impl<I, O> Operation<I, O> {
    /// A completed operation with a known result.
    pub fn completed(client: u32, input: I, output: O, call: u64, ret: u64) -> Self {
        Operation { client, input, output: Some(output), call, ret: Some(ret) }
    }

    /// An indeterminate operation: invoked at `call`, outcome never learned.
    pub fn indeterminate(client: u32, input: I, call: u64) -> Self {
        Operation { client, input, output: None, call, ret: None }
    }
}
