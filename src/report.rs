use std::path::Path; use crate::{app::AppError, cli::ImageFormat, config::Config}; pub fn run(_c:&Config,_o:&Path,_f:ImageFormat,_s:u32)->Result<(),AppError>{Err(AppError::Io("todo".into()))}
