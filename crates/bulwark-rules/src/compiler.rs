//! Compiling the collection (Falco's `rule_loader_compiler.cpp`): lists expanded into
//! conditions as text, macros resolved with Falco's visibility rules and loop detection,
//! exceptions turned into `and not (...)`, fields resolved to catalog ids, values to typed
//! operands, and each rule's event types computed for the index.

use std::collections::BTreeSet;

use crate::catalog::{EVENT_TYPES, EventTypeId, Field, FieldType, Lookup, Source, lookup};
use crate::diag::{Code, Diagnostic, ErrorCode, WarningCode};
use crate::eval::{Check, Net, Node, Op, Operand, Rhs, StrSet, Transformer, parse_int};
use crate::loader::{Collector, Ctx, ExceptionInfo, Fail};
use crate::output::{Format, FormatError, parse_format, resolve_arg};
use crate::parser::{self, CondPos, Expr};
use crate::{Limits, Rule, RuleStatus};

struct CompiledList {
    name: String,
    items: Vec<String>,
    used: bool,
}

/// What compiling produced: rules, and the warnings (and the error, if any).
pub(crate) struct CompileOutput {
    pub rules: Vec<Rule>,
    pub warnings: Vec<Diagnostic>,
    pub error: Option<Diagnostic>,
}

fn quote_item(e: &str) -> String {
    if e.contains(' ') && !e.starts_with('"') && !e.starts_with('\'') {
        format!("\"{e}\"")
    } else {
        e.to_string()
    }
}

fn paren_item(e: &str) -> String {
    if e.starts_with('(') {
        e.to_string()
    } else {
        format!("({e})")
    }
}

/// Falco's `build_rule_exception_infos`: the rule's condition with `and not (...)` appended
/// for each exception.
fn build_exceptions(exceptions: &[ExceptionInfo], condition: &str) -> Result<String, Fail> {
    let mut condition = format!("({condition})");
    let list_ops = parser::list_operators();
    for ex in exceptions {
        let mut icond = String::new();
        if ex.fields.is_list {
            icond.push('(');
            for values in &ex.values {
                if ex.fields.items.len() != values.items.len() {
                    return Err(Box::new(ex.ctx.diag(
                        Code::Error(ErrorCode::LOAD_ERR_VALIDATE),
                        "Fields and values lists must have equal length",
                    )));
                }
                if icond != "(" {
                    icond.push_str(" or ");
                }
                icond.push('(');
                for (k, field) in ex.fields.items.iter().enumerate() {
                    if k > 0 {
                        icond.push_str(" and ");
                    }
                    let v = &values.items[k];
                    let comp = &ex.comps.items[k].item;
                    let istr = if v.is_list {
                        let inner: Vec<String> =
                            v.items.iter().map(|i| quote_item(&i.item)).collect();
                        format!("({})", inner.join(", "))
                    } else if list_ops.contains(&comp.as_str()) {
                        paren_item(&v.item)
                    } else {
                        quote_item(&v.item)
                    };
                    icond.push(' ');
                    icond.push_str(&field.item);
                    icond.push(' ');
                    icond.push_str(comp);
                    icond.push(' ');
                    icond.push_str(&istr);
                }
                icond.push(')');
            }
            icond.push(')');
            if icond == "()" {
                icond.clear();
            }
        } else {
            for val in &ex.values {
                if val.is_list {
                    return Err(Box::new(ex.ctx.diag(
                        Code::Error(ErrorCode::LOAD_ERR_VALIDATE),
                        "Expected values array to contain a list of strings",
                    )));
                }
                if icond.is_empty() {
                    icond = format!("({} {} (", ex.fields.item, ex.comps.item);
                } else {
                    icond.push_str(", ");
                }
                icond.push_str(&quote_item(&val.item));
            }
            if !icond.is_empty() {
                icond.push_str("))");
            }
        }
        if !icond.is_empty() {
            condition.push_str(" and not ");
            condition.push_str(&icond);
        }
    }
    Ok(condition)
}

/// Falco's `resolve_list`: replaces whole-word occurrences of the list's name in the
/// condition text with its items. Bounded by `max_len`.
fn resolve_list(
    cnd: &mut String,
    list: &CompiledList,
    max_len: usize,
    work: &mut usize,
) -> Result<bool, String> {
    const BLANKS: &[u8] = b" \t\n\r";
    const DELIMS: &[u8] = b" \t\n\r(),=";
    let name = list.name.as_str();
    if name.is_empty() {
        return Ok(false);
    }
    let mut used = false;
    let mut start = cnd.find(name);
    while let Some(mut s) = start {
        let mut end = s + name.len();
        let b = cnd.as_bytes();
        if (s == 0 || DELIMS.contains(&b[s - 1])) && (end >= b.len() || DELIMS.contains(&b[end])) {
            while s > 0 && BLANKS.contains(&b[s - 1]) {
                s -= 1;
            }
            while end < b.len() && BLANKS.contains(&b[end]) {
                end += 1;
            }
            let sub = list
                .items
                .iter()
                .map(|v| quote_item(v))
                .collect::<Vec<_>>()
                .join(", ");
            if sub.is_empty() {
                if s > 0 && b[s - 1] == b',' {
                    s -= 1;
                } else if end < b.len() && b[end] == b',' {
                    end += 1;
                }
            }
            let mut new = String::with_capacity(cnd.len() + sub.len() + 2);
            if s > 0 {
                new.push_str(&cnd[..s]);
                new.push(' ');
            }
            new.push_str(&sub);
            new.push(' ');
            if end <= cnd.len() {
                new.push_str(&cnd[end..]);
            }
            // Each substitution copies the condition: bound the copying, not only the length,
            // so that many occurrences of a list cannot make loading quadratic.
            *work = work.saturating_add(new.len());
            if new.len() > max_len || *work > max_len.saturating_mul(16) {
                return Err(format!(
                    "condition longer than {max_len} bytes once lists are expanded"
                ));
            }
            *cnd = new;
            s += sub.len() + 1;
            used = true;
        }
        start = find_from(cnd, name, s + 1);
    }
    Ok(used)
}

/// The next occurrence of `name` at or after byte `from` (moved up to a character boundary).
fn find_from(cnd: &str, name: &str, mut from: usize) -> Option<usize> {
    while from < cnd.len() && !cnd.is_char_boundary(from) {
        from += 1;
    }
    cnd.get(from..).and_then(|r| r.find(name)).map(|i| i + from)
}

/// A condition failure: the message and where in the condition (when known).
struct CondFail {
    code: ErrorCode,
    message: String,
    pos: Option<CondPos>,
    /// An unknown field or event type: downgraded to a warning by `skip-if-unknown-filter`.
    unknown: bool,
}

fn cond_diag(ctx: &Ctx, f: &CondFail) -> Diagnostic {
    let mut d = ctx.diag(Code::Error(f.code), f.message.clone());
    d.condition_pos = f.pos.map(|p| (p.line, p.col));
    d
}

struct Compiler<'a> {
    col: &'a Collector,
    limits: &'a Limits,
    lists: Vec<CompiledList>,
    macro_asts: Vec<Expr>,
    macro_used: Vec<bool>,
    warnings: Vec<Diagnostic>,
    /// Bytes copied expanding lists, for the whole compilation.
    list_work: usize,
    /// Nodes left for macro expansion, for the whole compilation.
    nodes_left: usize,
}

impl Compiler<'_> {
    fn compile_lists(&mut self) {
        let mut used_names = Vec::new();
        for list in &self.col.lists.items {
            let mut items = Vec::new();
            for item in &list.items {
                match self.col.lists.get(item) {
                    Some(r) if r.index < list.visibility => {
                        used_names.push(r.name.clone());
                        items.extend(r.items.iter().cloned());
                    }
                    _ => items.push(item.clone()),
                }
            }
            self.lists.push(CompiledList {
                name: list.name.clone(),
                items,
                used: false,
            });
        }
        for n in used_names {
            if let Some(l) = self.lists.iter_mut().find(|l| l.name == n) {
                l.used = true;
            }
        }
    }

    fn parse_condition(&mut self, condition: &str) -> Result<Expr, CondFail> {
        let mut cnd = condition.to_string();
        for l in &mut self.lists {
            match resolve_list(
                &mut cnd,
                l,
                self.limits.max_condition_bytes,
                &mut self.list_work,
            ) {
                Ok(true) => l.used = true,
                Ok(false) => {}
                Err(message) => {
                    return Err(CondFail {
                        code: ErrorCode::LOAD_ERR_COMPILE_CONDITION,
                        message,
                        pos: None,
                        unknown: false,
                    });
                }
            }
        }
        parser::parse(&cnd, self.limits.max_parse_depth).map_err(|e| CondFail {
            code: ErrorCode::LOAD_ERR_COMPILE_CONDITION,
            message: e.message,
            pos: Some(e.pos),
            unknown: false,
        })
    }

    /// Replaces macro references with their (resolved) conditions. `visible` holds the macros a
    /// reference may name; `stack` the macros being expanded, for loop detection.
    fn expand(
        &mut self,
        e: &Expr,
        visibility: u32,
        stack: &mut Vec<usize>,
        budget: &mut usize,
        depth: usize,
    ) -> Result<Expr, CondFail> {
        let fail = |message: String, pos: Option<CondPos>| CondFail {
            code: ErrorCode::LOAD_ERR_VALIDATE,
            message,
            pos,
            unknown: false,
        };
        if *budget == 0 || depth > self.limits.max_expanded_depth {
            return Err(fail(
                format!(
                    "condition too large once macros are expanded (more than {} nodes or {} levels)",
                    self.limits.max_expanded_nodes, self.limits.max_expanded_depth
                ),
                None,
            ));
        }
        *budget -= 1;
        Ok(match e {
            Expr::And(ch, p) => Expr::And(
                ch.iter()
                    .map(|c| self.expand(c, visibility, stack, budget, depth + 1))
                    .collect::<Result<_, _>>()?,
                *p,
            ),
            Expr::Or(ch, p) => Expr::Or(
                ch.iter()
                    .map(|c| self.expand(c, visibility, stack, budget, depth + 1))
                    .collect::<Result<_, _>>()?,
                *p,
            ),
            Expr::Not(c, p) => Expr::Not(
                Box::new(self.expand(c, visibility, stack, budget, depth + 1)?),
                *p,
            ),
            Expr::Ident(name, p) => {
                let idx = self
                    .col
                    .macros
                    .position(name)
                    .filter(|&i| self.col.macros.items[i].index < visibility);
                let Some(i) = idx else {
                    return Err(fail(
                        format!("Undefined macro '{name}' used in filter."),
                        Some(*p),
                    ));
                };
                if stack.contains(&i) {
                    return Err(fail(format!("reference loop in macro '{name}'"), Some(*p)));
                }
                self.macro_used[i] = true;
                stack.push(i);
                let body = self.macro_asts[i].clone();
                let r = self.expand(&body, visibility, stack, budget, depth + 1);
                stack.pop();
                r?
            }
            leaf => leaf.clone(),
        })
    }

    /// Expands macros within the per-condition and the whole-compilation node budgets.
    fn expand_bounded(
        &mut self,
        e: &Expr,
        visibility: u32,
        stack: &mut Vec<usize>,
    ) -> Result<Expr, CondFail> {
        let start = self.limits.max_expanded_nodes.min(self.nodes_left);
        let mut budget = start;
        let r = self.expand(e, visibility, stack, &mut budget, 0);
        self.nodes_left -= start - budget;
        r
    }

    fn compile_macros(&mut self) -> Result<(), Fail> {
        for i in 0..self.col.macros.items.len() {
            let m = &self.col.macros.items[i];
            let ctx = m.ctx.clone();
            let cond = m.cond.clone();
            let ast = self
                .parse_condition(&cond)
                .map_err(|f| Box::new(cond_diag(&ctx, &f)))?;
            self.macro_asts.push(ast);
        }
        for i in 0..self.col.macros.items.len() {
            let m = &self.col.macros.items[i];
            let ctx = m.ctx.clone();
            let vis = m.visibility;
            let ast = self.macro_asts[i].clone();
            let mut stack = vec![i];
            self.expand_bounded(&ast, vis, &mut stack)
                .map_err(|f| Box::new(cond_diag(&ctx, &f)))?;
        }
        Ok(())
    }
}

/// Compiles everything collected so far.
pub(crate) fn compile(col: &Collector, limits: &Limits) -> CompileOutput {
    let mut c = Compiler {
        col,
        limits,
        lists: Vec::new(),
        macro_asts: Vec::new(),
        macro_used: vec![false; col.macros.items.len()],
        warnings: Vec::new(),
        list_work: 0,
        nodes_left: limits.max_expanded_nodes.saturating_mul(20),
    };
    c.compile_lists();
    let mut rules = Vec::new();
    let mut error = None;
    if let Err(e) = c.compile_macros() {
        error = Some(*e);
    } else {
        for r in &col.rules.items {
            match compile_rule(&mut c, r) {
                Ok(Some(rule)) => rules.push(rule),
                Ok(None) => {}
                Err(e) => {
                    error = Some(*e);
                    break;
                }
            }
        }
    }
    // Falco 0.35 reports unused macros and lists even when compiling stopped at an error.
    for (i, m) in col.macros.items.iter().enumerate() {
        if !c.macro_used[i] {
            c.warnings.push(m.ctx.diag(
                Code::Warning(WarningCode::LOAD_UNUSED_MACRO),
                "Macro not referred to by any other rule/macro",
            ));
        }
    }
    for (i, l) in c.lists.iter().enumerate() {
        if !l.used {
            c.warnings.push(col.lists.items[i].ctx.diag(
                Code::Warning(WarningCode::LOAD_UNUSED_LIST),
                "List not referred to by any other rule/macro",
            ));
        }
    }
    CompileOutput {
        rules,
        warnings: c.warnings,
        error,
    }
}

fn compile_rule(c: &mut Compiler<'_>, r: &crate::loader::RuleInfo) -> Result<Option<Rule>, Fail> {
    if r.unknown_source {
        return Ok(None);
    }
    let Some(source) = Source::from_name(&r.source) else {
        return Ok(None);
    };
    let condition = if r.exceptions.is_empty() {
        r.cond.clone()
    } else {
        build_exceptions(&r.exceptions, &r.cond)?
    };
    let out_ctx = Ctx {
        pos: r.output_pos,
        ..r.ctx.clone()
    };
    let mut output_text = r.output.clone();
    if output_text.contains("%container.info") {
        c.warnings.push(r.ctx.diag(
            Code::Warning(WarningCode::LOAD_DEPRECATED_ITEM),
            "%container.info is deprecated and no more useful, and will be dropped by Falco 1.0.0. The container plugin will automatically add required fields to the output message.",
        ));
        output_text = output_text.replace("%container.info", "");
    }
    let mut unsupported: BTreeSet<String> = BTreeSet::new();
    let output = match parse_format(&output_text, source) {
        Ok(f) => f,
        Err(FormatError::Unsupported(name)) => {
            unsupported.insert(name);
            Format::default()
        }
        Err(FormatError::Unknown(tok)) => {
            let msg = format!("invalid formatting token {tok}");
            if r.skip_if_unknown_filter {
                c.warnings
                    .push(out_ctx.diag(Code::Warning(WarningCode::LOAD_UNKNOWN_FILTER), msg));
                return Ok(None);
            }
            return Err(Box::new(
                out_ctx.diag(Code::Error(ErrorCode::LOAD_ERR_COMPILE_OUTPUT), msg),
            ));
        }
    };
    let cond_ctx = Ctx {
        pos: r.cond_pos,
        ..r.ctx.clone()
    };
    let ast = c
        .parse_condition(&condition)
        .map_err(|f| Box::new(cond_diag(&cond_ctx, &f)))?;
    let ast = c
        .expand_bounded(&ast, u32::MAX, &mut Vec::new())
        .map_err(|f| Box::new(cond_diag(&r.ctx, &f)))?;
    na_check(&ast, &cond_ctx, &mut c.warnings);
    let mut fc = FilterCompiler {
        source,
        unsupported: &mut unsupported,
    };
    let node = match fc.compile(&ast) {
        Ok(n) => n,
        Err(f) => {
            if f.unknown && r.skip_if_unknown_filter {
                let mut d = cond_diag(&cond_ctx, &f);
                d.code = Code::Warning(WarningCode::LOAD_UNKNOWN_FILTER);
                c.warnings.push(d);
                return Ok(None);
            }
            return Err(Box::new(cond_diag(&cond_ctx, &f)));
        }
    };
    let event_types = if source == Source::Syscall {
        let v = evttypes(&ast);
        let count = v.iter().filter(|b| **b).count();
        // Falco counts enter and exit codes: two per name.
        if (count == 0 || count * 2 > 100) && r.warn_evttypes {
            c.warnings.push(r.ctx.diag(
                Code::Warning(WarningCode::LOAD_NO_EVTTYPE),
                "Rule matches too many evt.type values. This has a significant performance penalty.",
            ));
        }
        if count == v.len() {
            None
        } else {
            Some(
                v.iter()
                    .enumerate()
                    .filter(|(_, b)| **b)
                    .filter_map(|(i, _)| u16::try_from(i).ok().map(EventTypeId))
                    .collect(),
            )
        }
    } else {
        None
    };
    let status = if !unsupported.is_empty() {
        let names: Vec<String> = unsupported.into_iter().collect();
        c.warnings.push(r.ctx.diag(
            Code::Warning(WarningCode::LOAD_UNSUPPORTED_FIELD),
            format!(
                "Rule uses fields this engine does not implement ({}); it is loaded disabled",
                names.join(", ")
            ),
        ));
        RuleStatus::Unsupported(names)
    } else if r.enabled {
        RuleStatus::Enabled
    } else {
        RuleStatus::Disabled
    };
    Ok(Some(Rule {
        name: r.name.clone(),
        description: r.desc.clone(),
        priority: r.priority,
        tags: r.tags.iter().cloned().collect(),
        source,
        condition,
        output_text,
        status,
        event_types,
        file: r.ctx.file.clone(),
        line: r.ctx.pos.line,
        output,
        node,
    }))
}

fn na_check(e: &Expr, ctx: &Ctx, warnings: &mut Vec<Diagnostic>) {
    match e {
        Expr::And(ch, _) | Expr::Or(ch, _) => ch.iter().for_each(|c| na_check(c, ctx, warnings)),
        Expr::Not(c, _) => na_check(c, ctx, warnings),
        Expr::Binary { right, pos, .. } => {
            let na = match right {
                parser::Rhs::Value(v) => v == "<NA>",
                parser::Rhs::List(vs) => vs.iter().any(|v| v == "<NA>"),
                parser::Rhs::Operand(_) => false,
            };
            if na {
                let d = ctx.diag(
                    Code::Warning(WarningCode::LOAD_UNSAFE_NA_CHECK),
                    "comparing a field value with <NA> is unsafe and can lead to unpredictable behavior of the rule condition. If you need to check for the existence of a field, consider using the 'exists' operator instead.",
                );
                // Positions after macro expansion point into macro texts: not reported.
                let _ = pos;
                warnings.push(d);
            }
        }
        _ => {}
    }
}

/// The event types a condition can match (libsinsp `ppm_event_codes`): negations pushed to the
/// leaves; checks not on `evt.type` match every type.
fn evttypes(e: &Expr) -> Vec<bool> {
    fn all() -> Vec<bool> {
        vec![true; EVENT_TYPES.len()]
    }
    fn names(vals: &[String]) -> Vec<bool> {
        let mut v = vec![false; EVENT_TYPES.len()];
        for n in vals {
            if let Some(id) = EventTypeId::from_name(n) {
                v[usize::from(id.0)] = true;
            }
        }
        v
    }
    fn invert(v: &mut [bool]) {
        for b in v {
            *b = !*b;
        }
    }
    fn go(e: &Expr, neg: bool) -> Vec<bool> {
        match e {
            Expr::And(ch, _) | Expr::Or(ch, _) => {
                let conj = matches!(e, Expr::And(..)) != neg;
                let mut acc = if conj {
                    all()
                } else {
                    vec![false; EVENT_TYPES.len()]
                };
                for c in ch {
                    let s = go(c, neg);
                    for (a, b) in acc.iter_mut().zip(s) {
                        *a = if conj { *a && b } else { *a || b };
                    }
                }
                acc
            }
            Expr::Not(c, _) => go(c, !neg),
            Expr::Binary {
                left:
                    parser::Operand::Field {
                        name, arg: None, ..
                    },
                op,
                right,
                ..
            } if name == "evt.type" && matches!(op.as_str(), "=" | "==" | "!=" | "in") => {
                let mut v = match right {
                    parser::Rhs::Value(x) => names(std::slice::from_ref(x)),
                    parser::Rhs::List(xs) => names(xs),
                    parser::Rhs::Operand(_) => return all(),
                };
                if neg {
                    invert(&mut v);
                }
                if op == "!=" {
                    invert(&mut v);
                }
                v
            }
            _ => all(),
        }
    }
    go(e, false)
}

struct FilterCompiler<'a> {
    source: Source,
    unsupported: &'a mut BTreeSet<String>,
}

fn compile_err(message: String, pos: CondPos) -> CondFail {
    CondFail {
        code: ErrorCode::LOAD_ERR_COMPILE_CONDITION,
        message,
        pos: Some(pos),
        unknown: false,
    }
}

fn unknown_field(name: &str, pos: CondPos) -> CondFail {
    CondFail {
        code: ErrorCode::LOAD_ERR_COMPILE_CONDITION,
        message: format!("filter_check called with nonexistent field {name}"),
        pos: Some(pos),
        unknown: true,
    }
}

impl FilterCompiler<'_> {
    fn compile(&mut self, e: &Expr) -> Result<Node, CondFail> {
        Ok(match e {
            Expr::And(ch, _) => Node::And(
                ch.iter()
                    .map(|c| self.compile(c))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Or(ch, _) => Node::Or(
                ch.iter()
                    .map(|c| self.compile(c))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Not(c, _) => Node::Not(Box::new(self.compile(c)?)),
            Expr::Ident(name, p) => {
                return Err(CondFail {
                    code: ErrorCode::LOAD_ERR_VALIDATE,
                    message: format!("Undefined macro '{name}' used in filter."),
                    pos: Some(*p),
                    unknown: false,
                });
            }
            Expr::Unary { left, .. } => match self.operand(left)? {
                Some((o, ty)) => Node::Check(Box::new(Check {
                    left: o,
                    list_field: ty == FieldType::StringList,
                    op: Op::Exists,
                    rhs: Rhs::None,
                })),
                None => Node::Const(false),
            },
            Expr::Binary {
                left,
                op,
                right,
                pos,
            } => {
                let Some(opv) = Op::parse(op) else {
                    return Err(compile_err(format!("unknown operator '{op}'"), *pos));
                };
                let Some((o, ty)) = self.operand(left)? else {
                    // An unsupported field: the rule is disabled; still check the right side.
                    if let parser::Rhs::Operand(r) = right {
                        self.operand(r)?;
                    }
                    return Ok(Node::Const(false));
                };
                if o.field == Field::EvtType
                    && o.transformers.is_empty()
                    && matches!(opv, Op::Eq | Op::Ne | Op::In)
                    && !matches!(right, parser::Rhs::Operand(_))
                {
                    return evt_type_node(opv, right, *pos);
                }
                let rhs = match right {
                    parser::Rhs::Operand(r) => match self.operand(r)? {
                        Some((ro, _)) => Rhs::Field(Box::new(ro)),
                        None => return Ok(Node::Const(false)),
                    },
                    parser::Rhs::Value(v) => {
                        compile_value(&o, ty, opv, std::slice::from_ref(v), false, *pos)?
                    }
                    parser::Rhs::List(vs) => compile_value(&o, ty, opv, vs, true, *pos)?,
                };
                Node::Check(Box::new(Check {
                    left: o,
                    list_field: ty == FieldType::StringList,
                    op: opv,
                    rhs,
                }))
            }
        })
    }

    /// Resolves a field reference; `None` for a Falco field we do not implement.
    fn operand(&mut self, op: &parser::Operand) -> Result<Option<(Operand, FieldType)>, CondFail> {
        match op {
            parser::Operand::Field { name, arg, pos } => {
                let (field, folded) = match lookup(name) {
                    Lookup::Known(f, folded) => (f, folded),
                    Lookup::FalcoOnly => {
                        self.unsupported.insert(name.clone());
                        return Ok(None);
                    }
                    Lookup::Unknown => return Err(unknown_field(name, *pos)),
                };
                let src = field.info().source;
                if src.is_some() && src != Some(self.source) {
                    return Err(unknown_field(name, *pos));
                }
                if folded.is_some() && arg.is_some() {
                    return Err(compile_err(
                        format!("field '{name}' has two arguments"),
                        *pos,
                    ));
                }
                let arg_text = folded.as_deref().or(arg.as_deref());
                let arg = resolve_arg(field, arg_text).map_err(|m| CondFail {
                    code: ErrorCode::LOAD_ERR_COMPILE_CONDITION,
                    message: m,
                    pos: Some(*pos),
                    unknown: arg_text.is_none(),
                })?;
                Ok(Some((
                    Operand {
                        field,
                        arg,
                        transformers: Vec::new(),
                    },
                    field.info().ty,
                )))
            }
            parser::Operand::Transformer { name, inner, pos } => {
                let Some((mut o, ty)) = self.operand(inner)? else {
                    return Ok(None);
                };
                let t = match name.as_str() {
                    "val" => return Ok(Some((o, ty))),
                    "tolower" => Transformer::ToLower,
                    "toupper" => Transformer::ToUpper,
                    "b64" => Transformer::B64,
                    "basename" => Transformer::Basename,
                    other => {
                        return Err(compile_err(format!("unknown transformer '{other}'"), *pos));
                    }
                };
                if !matches!(
                    ty,
                    FieldType::String | FieldType::StringList | FieldType::Dynamic
                ) {
                    return Err(compile_err(
                        format!(
                            "transformer '{name}' is not supported on field type {}",
                            ty.as_str()
                        ),
                        *pos,
                    ));
                }
                o.transformers.push(t);
                let ty = if ty == FieldType::StringList {
                    ty
                } else {
                    FieldType::String
                };
                Ok(Some((o, ty)))
            }
        }
    }
}

fn evt_type_node(op: Op, right: &parser::Rhs, pos: CondPos) -> Result<Node, CondFail> {
    let vals: Vec<String> = match right {
        parser::Rhs::Value(v) => vec![v.clone()],
        parser::Rhs::List(vs) => vs.clone(),
        parser::Rhs::Operand(_) => Vec::new(),
    };
    let mut bits = vec![0u64; EVENT_TYPES.len().div_ceil(64)];
    for v in &vals {
        let Some(id) = EventTypeId::from_name(v) else {
            return Err(CondFail {
                code: ErrorCode::LOAD_ERR_COMPILE_CONDITION,
                message: format!("unknown event type {v}"),
                pos: Some(pos),
                unknown: true,
            });
        };
        let i = usize::from(id.0);
        bits[i / 64] |= 1 << (i % 64);
    }
    let node = Node::EvtType(bits.into_boxed_slice());
    Ok(if op == Op::Ne {
        Node::Not(Box::new(node))
    } else {
        node
    })
}

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Eq => "=",
        Op::Ne => "!=",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Contains => "contains",
        Op::IContains => "icontains",
        Op::BContains => "bcontains",
        Op::StartsWith => "startswith",
        Op::BStartsWith => "bstartswith",
        Op::EndsWith => "endswith",
        Op::Glob => "glob",
        Op::IGlob => "iglob",
        Op::PMatch => "pmatch",
        Op::In => "in",
        Op::Intersects => "intersects",
        Op::Exists => "exists",
        Op::Regex => "regex",
    }
}

fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if s.is_empty() || !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

fn compile_value(
    o: &Operand,
    ty: FieldType,
    op: Op,
    vals: &[String],
    is_list: bool,
    pos: CondPos,
) -> Result<Rhs, CondFail> {
    let fname = o.field.name();
    let unsupported_op = || {
        compile_err(
            format!(
                "'{}' operator not supported for field '{fname}' of type {}",
                op_name(op),
                ty.as_str()
            ),
            pos,
        )
    };
    let multi = matches!(op, Op::In | Op::Intersects | Op::PMatch);
    if is_list && !multi {
        return Err(compile_err(
            format!("'{}' operator does not take a list of values", op_name(op)),
            pos,
        ));
    }
    let one = || vals.first().cloned().unwrap_or_default();
    match ty {
        FieldType::String | FieldType::StringList => Ok(match op {
            Op::In | Op::Intersects => Rhs::StrSet(StrSet::new(vals.to_vec())),
            Op::PMatch => Rhs::Paths(vals.iter().map(|v| v.clone().into_boxed_str()).collect()),
            Op::IContains => Rhs::Str(one().to_lowercase().into_boxed_str()),
            Op::BContains | Op::BStartsWith => {
                let v = one();
                let bytes = hex_bytes(&v).ok_or_else(|| {
                    compile_err(
                        format!(
                            "invalid hex value '{v}' for '{}': hex digits expected",
                            op_name(op)
                        ),
                        pos,
                    )
                })?;
                Rhs::Bytes(bytes.into_boxed_slice())
            }
            Op::Glob | Op::IGlob => Rhs::Glob(one().into_boxed_str()),
            Op::Regex => {
                let v = one();
                let re = regex::RegexBuilder::new(&format!("^(?:{v})$"))
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| {
                        compile_err(format!("invalid regular expression '{v}': {e}"), pos)
                    })?;
                Rhs::Regex(Box::new(re))
            }
            _ => Rhs::Str(one().into_boxed_str()),
        }),
        FieldType::Int64
        | FieldType::Uint64
        | FieldType::Port
        | FieldType::AbsTime
        | FieldType::RelTime
        | FieldType::Bool => {
            if !matches!(
                op,
                Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge | Op::In | Op::Intersects
            ) || (ty == FieldType::Bool
                && !matches!(op, Op::Eq | Op::Ne | Op::In | Op::Intersects))
            {
                return Err(unsupported_op());
            }
            let mut nums = Vec::with_capacity(vals.len());
            for v in vals {
                let n = if ty == FieldType::Bool {
                    match v.to_ascii_lowercase().as_str() {
                        "true" => Some(1),
                        "false" => Some(0),
                        _ => parse_int(v).filter(|n| *n == 0 || *n == 1),
                    }
                } else {
                    parse_int(v)
                };
                let Some(n) = n else {
                    return Err(compile_err(
                        format!(
                            "could not convert '{v}' to a value of type {} for field '{fname}'",
                            ty.as_str()
                        ),
                        pos,
                    ));
                };
                if ty == FieldType::Port && !(0..=65535).contains(&n) {
                    return Err(compile_err(format!("'{v}' is not a valid port"), pos));
                }
                nums.push(n);
            }
            Ok(if multi {
                Rhs::NumSet(nums.into_boxed_slice())
            } else {
                Rhs::Num(nums.first().copied().unwrap_or_default())
            })
        }
        FieldType::IpAddr | FieldType::IpNet => {
            if !matches!(op, Op::Eq | Op::Ne | Op::In | Op::Intersects) {
                return Err(unsupported_op());
            }
            let mut nets = Vec::with_capacity(vals.len());
            for v in vals {
                let Some(n) = Net::parse(v) else {
                    return Err(compile_err(
                        format!(
                            "could not convert '{v}' to a value of type {} for field '{fname}'",
                            ty.as_str()
                        ),
                        pos,
                    ));
                };
                nets.push(n);
            }
            Ok(Rhs::Nets(nets.into_boxed_slice()))
        }
        FieldType::Dynamic => Ok(match op {
            Op::In | Op::Intersects => Rhs::DynSet(
                StrSet::new(vals.to_vec()),
                vals.iter().filter_map(|v| parse_int(v)).collect(),
            ),
            _ => {
                // Reuse the string compilation for string-only operators.
                let s = compile_value(o, FieldType::String, op, vals, is_list, pos)?;
                match s {
                    Rhs::Str(s) if !matches!(op, Op::IContains) => {
                        let n = parse_int(&s);
                        Rhs::Dyn(s, n)
                    }
                    other => other,
                }
            }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(name: &str, items: &[&str]) -> CompiledList {
        CompiledList {
            name: name.into(),
            items: items.iter().map(ToString::to_string).collect(),
            used: false,
        }
    }

    #[test]
    fn lists_are_substituted_as_whole_words() {
        let mut c = "proc.name in (shells) and not proc.name in (shells_x, a,shells)".to_string();
        assert_eq!(
            resolve_list(&mut c, &list("shells", &["bash", "my sh"]), 1 << 20, &mut 0),
            Ok(true)
        );
        assert_eq!(
            c,
            "proc.name in ( bash, \"my sh\" ) and not proc.name in (shells_x, a, bash, \"my sh\" )"
        );
        let mut c = "x.y in (a, empty)".to_string();
        resolve_list(&mut c, &list("empty", &[]), 1 << 20, &mut 0).expect("ok");
        assert_eq!(c, "x.y in (a  )");
        let mut c = "x.y in (big, big, big)".to_string();
        let items: Vec<String> = (0..1000).map(|i| format!("item{i}")).collect();
        let l = CompiledList {
            name: "big".into(),
            items,
            used: false,
        };
        assert!(resolve_list(&mut c, &l, 10_000, &mut 0).is_err());
    }

    #[test]
    fn evttypes_follow_de_morgan() {
        let set = |c: &str| {
            let e = parser::parse(c, 500).expect("parse");
            evttypes(&e).iter().filter(|b| **b).count()
        };
        let all = EVENT_TYPES.len();
        assert_eq!(set("evt.type=execve"), 1);
        assert_eq!(set("evt.type in (open, openat)"), 2);
        assert_eq!(set("proc.name=foo"), all);
        assert_eq!(set("not proc.name=foo"), all);
        assert_eq!(set("evt.type!=execve"), all - 1);
        assert_eq!(set("not evt.type=execve"), all - 1);
        assert_eq!(set("evt.type=execve and not proc.name=foo"), 1);
        assert_eq!(set("evt.type=execve and proc.name=foo or evt.type=open"), 2);
        assert_eq!(set("not (evt.type=execve or evt.type=open)"), all - 2);
        assert_eq!(set("not not evt.type=open"), 1);
    }
}
