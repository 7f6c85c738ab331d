use pulldown_cmark::{Options, Parser};
fn main() {
    let s = "# T\r\n\r\n- [ ] **Bold** rest (if applicable)\r\n  - [x] sub\r\n    more text\r\n1. [X] num\r\n\r\n| Item | Status |\r\n|--|--|\r\n| **A** | [ ] |\r\n\r\n```\r\n- [ ] code\r\n```\r\n**Key:** val  \r\n**K2:** v2\r\n";
    let mut o = Options::empty();
    o.insert(Options::ENABLE_TASKLISTS);
    o.insert(Options::ENABLE_TABLES);
    for (e, r) in Parser::new_ext(s, o).into_offset_iter() {
        println!("{:?} {:?} {:?}", e, r.clone(), &s[r]);
    }
}
