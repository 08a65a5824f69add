/* 网上阅卷 (法〔2016〕264号 三(二)): catalogue tree, page view with a selectable text layer, zoom,
   search with highlighted hits, personal marks and notes. The bearer token comes from the URL
   fragment (#token=...) and is only sent to this service's JSON API. */
(function () {
  "use strict";
  const caseNumber = document.body.dataset.caseNumber;
  const cn = encodeURIComponent(caseNumber);
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token") || sessionStorage.getItem("jz-token") || "";
  if (params.get("token")) {
    sessionStorage.setItem("jz-token", token);
    history.replaceState(null, "", location.pathname + location.search);  // keep the token out of history
  }
  const $ = (id) => document.getElementById(id);
  const state = { pages: [], index: -1, zoom: 1, fit: true, hits: [], focusHit: null, marks: [], pageText: null };
  const imageCache = new Map();

  function status(text, isError) { const s = $("status"); s.textContent = text || ""; s.className = isError ? "error" : ""; }

  async function api(path, options) {
    const opts = Object.assign({ headers: {} }, options || {});
    opts.headers = Object.assign({ Authorization: "Bearer " + token }, opts.headers);
    const response = await fetch(path, opts);
    if (!response.ok) {
      let detail = response.status + "";
      try { const p = await response.json(); detail = (p.title || "") + "：" + (p.detail || ""); } catch (e) { /* not json */ }
      const err = new Error(detail); err.status = response.status; throw err;
    }
    return response;
  }
  const getJson = async (path) => (await api(path)).json();

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined) node.setAttribute(k, v);
    }
    for (const c of children) node.append(c && c.nodeType ? c : document.createTextNode(c == null ? "" : String(c)));
    return node;
  }

  // ------------------------------------------------------------------ catalogue tree
  function renderTree(dossier) {
    const tree = $("tree"); tree.textContent = "";
    state.pages = [];
    for (const vol of dossier.volumes) {
      const box = el("div", { class: "volume" }, el("div", { class: "vol-title" }, vol.name_zh + "（" + vol.numbered_pages + "页）"));
      let n = 0;
      vol.documents.forEach((doc) => addDoc(box, doc, doc.first_page ? (++n) + ". " : ""));
      tree.append(box);
    }
    if (dossier.review_queue.length) {
      const box = el("div", { class: "volume review" }, el("div", { class: "vol-title" }, "待审核材料"));
      dossier.review_queue.forEach((doc) => addDoc(box, doc, "？ "));
      tree.append(box);
    }
    if (!state.pages.length) tree.append(el("p", { class: "hint" }, "本卷暂无页面。"));
  }

  function addDoc(box, doc, prefix) {
    const range = doc.first_page ? (doc.first_page === doc.last_page ? "第" + doc.first_page + "页" : "第" + doc.first_page + "-" + doc.last_page + "页") : "";
    const item = el("div", { class: "doc", "data-document-id": doc.document_id });
    const title = el("div", { class: "doc-title", title: (doc.category_zh || doc.candidate_zh || "") + (doc.issuing_party ? " · " + doc.issuing_party : "") },
      el("span", {}, prefix + doc.title), el("span", { class: "range" }, range));
    const list = el("ul");
    for (const p of doc.pages) {
      const idx = state.pages.length;
      state.pages.push({ page_id: p.page_id, page_number: p.page_number, document_id: doc.document_id, title: doc.title });
      list.append(el("li", { "data-page-id": p.page_id, onclick: () => showPage(idx) }, p.page_number ? "第" + p.page_number + "页" : "（未编页）"));
    }
    title.addEventListener("click", () => { item.classList.toggle("open"); showPage(state.pages.findIndex((x) => x.document_id === doc.document_id)); });
    item.append(title, list);
    box.append(item);
  }

  // ------------------------------------------------------------------ page view
  function polyBox(poly) {
    const xs = poly.map((p) => p[0]), ys = poly.map((p) => p[1]);
    const x = Math.min(...xs), y = Math.min(...ys);
    return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y };
  }
  function place(node, box, scale) {
    node.style.left = box.x * scale + "px"; node.style.top = box.y * scale + "px";
    node.style.width = Math.max(box.w * scale, 2) + "px"; node.style.height = Math.max(box.h * scale, 2) + "px";
  }

  function pageSize() {
    const t = state.pageText || {};
    return { w: t.width || 2480, h: t.height || 3508 };
  }
  function scale() {
    const { w } = pageSize();
    const avail = Math.max($("page-scroll").clientWidth - 40, 200);
    return (state.fit ? avail / w : state.zoom * 0.4);
  }

  function layout() {
    const s = scale(), { w, h } = pageSize();
    const page = $("page");
    page.style.width = w * s + "px"; page.style.height = h * s + "px";
    $("zoom-level").textContent = Math.round(s / 0.4 * 100) + "%";
    drawText(s); drawHits(s);
  }

  function drawText(s) {
    const layer = $("text-layer"); layer.textContent = "";
    const t = state.pageText; if (!t) return;
    for (const line of t.lines) {
      const box = polyBox(line.polygon);
      const span = el("span", {}, line.text);
      const fontPx = Math.max(box.h * s * 0.85, 4);
      span.style.left = box.x * s + "px"; span.style.top = box.y * s + "px"; span.style.fontSize = fontPx + "px";
      layer.append(span);
      const natural = span.getBoundingClientRect().width;
      if (natural > 0) span.style.transform = "scaleX(" + (box.w * s / natural) + ")";
    }
  }

  function drawHits(s) {
    const layer = $("hit-layer"); layer.textContent = "";
    const cur = state.pages[state.index]; if (!cur) return;
    state.hits.filter((h) => h.page_id === cur.page_id).forEach((h) => {
      for (const poly of h.highlight_polygons) {
        const div = el("div", { class: "hit" + (h === state.focusHit ? " focus" : ""), "data-line": h.line_no });
        place(div, polyBox(poly), s); layer.append(div);
      }
    });
    state.marks.filter((m) => m.page_id === cur.page_id && m.polygon).forEach((m) => {
      const div = el("div", { class: "mark-box", title: m.text || "标记" }); place(div, polyBox(m.polygon), s); layer.append(div);
    });
  }

  async function loadImage(pageId) {
    if (imageCache.has(pageId)) return imageCache.get(pageId);
    let url = null;
    try { url = URL.createObjectURL(await (await api("/v1/pages/" + encodeURIComponent(pageId) + "/image")).blob()); }
    catch (e) { if (e.status !== 404) throw e; }
    imageCache.set(pageId, url);
    return url;
  }

  async function showPage(idx) {
    if (idx < 0 || idx >= state.pages.length) return;
    state.index = idx;
    const cur = state.pages[idx];
    document.querySelectorAll("#tree li.current").forEach((n) => n.classList.remove("current"));
    const li = document.querySelector('#tree li[data-page-id="' + CSS.escape(cur.page_id) + '"]');
    if (li) { li.classList.add("current"); li.closest(".doc").classList.add("open"); }
    $("page-label").textContent = cur.title + " · " + (cur.page_number ? "第" + cur.page_number + "页" : "未编页") + "（" + (idx + 1) + "/" + state.pages.length + "）";
    try {
      const [text, image] = await Promise.all([getJson("/v1/pages/" + encodeURIComponent(cur.page_id) + "/text"), loadImage(cur.page_id)]);
      if (state.index !== idx) return;
      state.pageText = text;
      const img = $("page-image");
      if (image) { img.src = image; img.hidden = false; $("text-layer").classList.remove("visible"); }
      else { img.removeAttribute("src"); img.hidden = true; $("text-layer").classList.add("visible"); }
      layout();
      $("page").dataset.pageId = cur.page_id;
      status("");
    } catch (e) { status("页面无法显示：" + e.message, true); }
  }

  // ------------------------------------------------------------------ search
  async function search(q) {
    if (!q.trim()) return;
    status("检索中…");
    try {
      const data = await getJson("/v1/dossiers/" + cn + "/search?q=" + encodeURIComponent(q));
      state.hits = data.hits;
      const box = $("results"); box.textContent = "";
      box.append(el("p", { class: "hint", id: "hit-count" }, "共 " + data.total + " 处"));
      data.hits.forEach((h) => {
        const text = el("div", { class: "text" });
        let pos = 0;
        for (const [a, b] of h.spans) { text.append(h.text.slice(pos, a), el("mark", {}, h.text.slice(a, b))); pos = b; }
        text.append(h.text.slice(pos));
        box.append(el("div", { class: "hit-item", onclick: () => goToHit(h) },
          el("div", { class: "where" }, h.document_title + " · " + (h.page_number ? "第" + h.page_number + "页" : "未编页")), text));
      });
      status("");
      if (data.hits.length) await goToHit(data.hits[0]); else drawHits(scale());
    } catch (e) { status("检索失败：" + e.message, true); }
  }
  async function goToHit(h) {
    state.focusHit = h;
    const idx = state.pages.findIndex((p) => p.page_id === h.page_id);
    if (idx !== state.index) await showPage(idx); else drawHits(scale());
    const node = document.querySelector(".hit.focus");
    if (node) node.scrollIntoView({ block: "center" });
  }

  // ------------------------------------------------------------------ marks and notes
  async function loadMarks() {
    state.marks = (await getJson("/v1/dossiers/" + cn + "/marks?limit=500")).items;
    const list = $("marks"); list.textContent = "";
    for (const m of state.marks) {
      const p = state.pages.findIndex((x) => x.page_id === m.page_id);
      const label = (m.kind === "note" ? "批注" : "标记") + " · " + (p >= 0 && state.pages[p].page_number ? "第" + state.pages[p].page_number + "页" : "页面") + (m.text ? "：" + m.text : "");
      list.append(el("li", { "data-mark-id": m.mark_id },
        el("a", { href: "#", onclick: (ev) => { ev.preventDefault(); showPage(p); } }, label), " ",
        el("button", { type: "button", onclick: () => deleteMark(m.mark_id) }, "删除")));
    }
    if (state.index >= 0) drawHits(scale());
  }
  async function addMark(kind) {
    const cur = state.pages[state.index]; if (!cur) return;
    const text = $("note-text").value.trim();
    if (kind === "note" && !text) { status("请填写批注内容", true); return; }
    const body = { page_id: cur.page_id, kind, text: kind === "note" ? text : "" };
    const sel = window.getSelection();
    if (sel && sel.rangeCount && !sel.isCollapsed && state.pageText) {  // mark the selected text's area
      const r = sel.getRangeAt(0).getBoundingClientRect(), pr = $("page").getBoundingClientRect(), s = scale();
      const x0 = (r.left - pr.left) / s, y0 = (r.top - pr.top) / s, x1 = (r.right - pr.left) / s, y1 = (r.bottom - pr.top) / s;
      if (x1 > x0 && y1 > y0) body.polygon = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
    }
    try {
      await api("/v1/dossiers/" + cn + "/marks", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      $("note-text").value = ""; await loadMarks(); status("已保存");
    } catch (e) { status("保存失败：" + e.message, true); }
  }
  async function deleteMark(id) {
    try { await api("/v1/dossiers/" + cn + "/marks/" + encodeURIComponent(id), { method: "DELETE" }); await loadMarks(); }
    catch (e) { status("删除失败：" + e.message, true); }
  }

  // ------------------------------------------------------------------ wiring
  $("search-form").addEventListener("submit", (ev) => { ev.preventDefault(); search($("search-input").value); });
  $("zoom-in").addEventListener("click", () => { state.zoom = Math.min(scale() / 0.4 * 1.25, 4); state.fit = false; layout(); });
  $("zoom-out").addEventListener("click", () => { state.zoom = Math.max(scale() / 0.4 / 1.25, 0.2); state.fit = false; layout(); });
  $("zoom-fit").addEventListener("click", () => { state.fit = true; layout(); });
  $("prev-page").addEventListener("click", () => showPage(state.index - 1));
  $("next-page").addEventListener("click", () => showPage(state.index + 1));
  $("add-mark").addEventListener("click", () => addMark("mark"));
  $("mark-form").addEventListener("submit", (ev) => { ev.preventDefault(); addMark("note"); });
  $("open-pdf").addEventListener("click", async () => {
    const cur = state.pages[state.index]; if (!cur) return;
    try { window.open(URL.createObjectURL(await (await api("/v1/pages/" + encodeURIComponent(cur.page_id) + "/pdf")).blob()), "_blank"); }
    catch (e) { status("PDF 无法打开：" + e.message, true); }
  });
  window.addEventListener("resize", () => { if (state.fit && state.pageText) layout(); });

  async function start() {
    if (!token) { status("缺少访问令牌（请从办案系统进入阅卷）", true); $("tree").textContent = "未授权"; return; }
    try {
      const dossier = await getJson("/v1/dossiers/" + cn);
      renderTree(dossier);
      api("/v1/dossiers/" + cn + "/reads", { method: "POST" }).catch(() => {});  // 网上阅卷 recorded
      await loadMarks();
      if (state.pages.length) await showPage(0);
      document.body.dataset.ready = "1";
    } catch (e) {
      $("tree").textContent = "";
      $("tree").append(el("p", { class: "error" }, e.status === 403 ? "无权阅览本卷：" + e.message : "无法载入卷宗：" + e.message));
      document.body.dataset.ready = "error";
    }
  }
  start();
})();
