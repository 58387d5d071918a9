//! WeChat official-account adapter.
