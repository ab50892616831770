"""The studio page: one HTML document with inline CSS and one inline script (no build step, no CDN).

The script reads the token from the page's address, listens to ``/events`` (server-sent events:
``hello`` with the whole state, then ``plan``, ``node``, ``build``, ``log``) and draws the beats
from that data with DOM calls only (``textContent``, never HTML from data). Its CSS starts from
the review page's (``storyrender.review.page``), so both look alike. ``window.__studio`` keeps
what happened (each node's status history, when each segment became playable, when the final was
done), which the browser test reads.
"""

from __future__ import annotations

from typing import Any

from ..review.page import _CSS as REVIEW_CSS
from ..review.page import _csp, e

__all__ = ["render_page", "CSP", "SCRIPT"]

_CSS = REVIEW_CSS + """
[hidden]{display:none!important}
.bar{position:sticky;top:0;z-index:5;background:var(--bg);padding:12px 0;display:flex;flex-wrap:wrap;gap:10px;
align-items:center;border-bottom:1px solid var(--line)}
button{font:inherit;cursor:pointer;border-radius:9px;border:1px solid var(--line);background:var(--card2);
color:var(--text);padding:6px 12px}
button:hover:not(:disabled){border-color:var(--accent)}button:disabled{opacity:.45;cursor:default}
button.primary{background:var(--accent);color:#1a1406;font-weight:700;border-color:var(--accent)}
button.danger:hover:not(:disabled){border-color:var(--bad);color:var(--bad)}
#summary{color:var(--muted)}#status{margin-left:auto;font-weight:600}
.pill.queued{color:var(--muted)}.pill.rendering{color:var(--accent)}.pill.done{color:var(--ok)}
.pill.render{color:var(--accent)}
.actions{display:flex;flex-wrap:wrap;gap:8px;margin-top:10px}
textarea,input{font:inherit;background:var(--card2);color:var(--text);border:1px solid var(--line);
border-radius:8px;padding:8px;width:100%}
.start{max-width:720px;margin:40px auto;background:var(--card);border:1px solid var(--line);
border-radius:var(--radius);padding:24px;display:grid;gap:12px}
.start .row{display:grid;grid-template-columns:repeat(4,1fr);gap:10px}
label{font-size:13px;color:var(--muted);display:grid;gap:4px}
.add{margin-top:16px;background:var(--card);border:1px solid var(--line);border-radius:var(--radius);padding:16px}
#log{font:12px/1.4 ui-monospace,monospace;color:var(--muted);white-space:pre-wrap;max-height:160px;overflow:auto}
.scores{font-size:12px;color:var(--muted)}
"""

SCRIPT = r"""
(function(){
"use strict";
var T=new URLSearchParams(location.search).get("token")||"";
var S={plan:null,build:null,nodes:{},history:{},playable:{},finalDoneAt:null,events:[]};
window.__studio=S;
function q(u){return u+(u.indexOf("?")<0?"?":"&")+"token="+encodeURIComponent(T);}
function h(tag,attrs){var el=document.createElement(tag);attrs=attrs||{};
 Object.keys(attrs).forEach(function(k){var v=attrs[k];if(v===null||v===undefined||v===false)return;
  if(k==="text")el.textContent=v;else if(k.slice(0,2)==="on")el.addEventListener(k.slice(2),v);else el.setAttribute(k,v===true?"":v);});
 for(var i=2;i<arguments.length;i++){var c=arguments[i];if(c===null||c===undefined)continue;
  el.appendChild(typeof c==="string"?document.createTextNode(c):c);}return el;}
function money(x){if(!x)return "$0.00";return x<0.01?"$"+x.toFixed(3):"$"+x.toFixed(2);}
function post(url,body){setStatus("…");return fetch(url,{method:"POST",headers:{"Content-Type":"application/json",
 "X-Storyrender-Token":T},body:JSON.stringify(body||{})}).then(function(r){return r.json();}).then(function(j){
 if(!j.ok)showError(j.error||"failed");else showError("");return j;});}
function showError(t){var n=document.getElementById("error");n.textContent=t;n.hidden=!t;}
function setStatus(t){document.getElementById("status").textContent=t;}
function status(key,fallback){return S.nodes[key]?S.nodes[key].status:fallback;}
function urlOf(n){var b=S.nodes[n.key];return (b&&b.url)||n.url;}
function segVideo(n){var u=urlOf(n);if(!u)return h("div",{"class":"missing",text:"not made yet"});
 var v=h("video",{controls:true,muted:true,preload:"auto",playsinline:true,"data-key":n.key,src:q(u)});
 v.addEventListener("loadeddata",function(){if(!(n.key in S.playable))S.playable[n.key]=performance.now();});return v;}
function drawPlan(){var p=S.plan,root=document.getElementById("beats");if(!p)return;
 var start=document.getElementById("start");start.hidden=!!p.ok||!!S.board;
 if(!p.ok){document.getElementById("summary").textContent="";showError(p.error||"");return;}
 document.getElementById("title").textContent=p.title;
 var wh=String(p.size).split("x");document.body.style.setProperty("--aspect",wh[0]+"/"+wh[1]);
 document.getElementById("meta").textContent=p.size+" · "+p.fps+" fps · "+p.seconds+" s · "+p.beats.length+" beats · "+p.board;
 document.getElementById("previz").hidden=!p.local;
 var sum=p.to_render?p.to_render+" nodes to render ("+p.provider_calls+" provider calls), estimated "+(p.price_unknown?"unknown (a model has no list price)":money(p.estimate)):"everything is cached: nothing to render";
 var s=document.getElementById("summary");s.textContent=sum;s.setAttribute("data-revision",p.revision);s.setAttribute("data-to-render",p.to_render);
 root.textContent="";var scores=(S.build&&S.build.scores)||{};
 p.beats.forEach(function(b){var mine=p.nodes.filter(function(n){return n.beat===b.index;});
  var seg=mine.filter(function(n){return n.kind==="segment";})[0];
  var kf=frameNode(b.index);
  var st=seg?status(seg.key,seg.plan==="render"?"to render":"cached"):"-";
  var pill=h("span",{"class":"pill "+st.replace(" ","-"),"data-role":"status","data-key":seg?seg.key:"",text:st});
  var sc=scores[String(b.index)];
  var card=h("article",{"class":"beat","data-beat":b.index,"data-id":b.id},
   h("header",null,h("span",{"class":"num",text:String(b.index)}),h("h3",{text:b.id}),
    h("span",{"class":"when",text:b.seconds+" s · take "+b.take+" · "+b.provider+" · "+money(b.estimate)+(b.to_render?" · "+b.to_render+" to render":"")}),
    h("span",{"class":"badges"},pill)),
   h("div",{"class":"media"},
    h("figure",{"class":"frame"},kf&&urlOf(kf)?h("img",{src:q(urlOf(kf)),alt:"end frame of beat "+b.index}):h("div",{"class":"missing",text:"no frame yet"}),h("figcaption",{text:b.pinned?"end frame (pinned)":"end frame"})),
    h("figure",{"class":"segment"},seg?segVideo(seg):h("div",{"class":"missing",text:"-"}),h("figcaption",{text:"segment "+b.index}))),
   h("div",null,h("p",{"class":"prompt",dir:"auto","data-role":"prompt",text:b.prompt}),
    h("dl",{"class":"facts"},h("dt",{text:"camera"}),h("dd",{text:b.camera||"-"}),h("dt",{text:"caption"}),h("dd",{text:b.caption||"-"})),
    sc?h("p",{"class":"scores","data-role":"scores",text:[sc.seam!==undefined?"seam into this beat "+sc.seam+(sc["seam flagged"]?" (flagged)":""):"",
     sc.drift!==undefined?"end-frame drift "+sc.drift:""].filter(Boolean).join(" · ")}):null,
    h("div",{"class":"actions"},
     h("button",{"data-action":"take",onclick:function(){post(q("/api/beats/"+b.index+"/take"));},text:"New take"}),
     h("button",{"data-action":"edit",onclick:function(){editPrompt(card,b);},text:"Edit prompt"}),
     h("button",{"data-action":"pin",disabled:!(kf&&urlOf(kf))||b.pinned,onclick:function(){post(q("/api/beats/"+b.index+"/pin"));},text:"Pin this frame"}),
     h("button",{"class":"danger","data-action":"delete",disabled:p.beats.length<2,onclick:function(){if(confirm("Delete beat "+b.index+"?"))post(q("/api/beats/"+b.index+"/delete"));},text:"Delete"}))));
  root.appendChild(card);});
 var rows=document.getElementById("plan-rows");rows.textContent="";
 p.nodes.filter(function(n){return n.plan==="render";}).forEach(function(n){rows.appendChild(h("tr",{"data-key":n.key},
  h("td",{text:n.label}),h("td",{text:n.provider?n.provider+"/"+n.model:"ffmpeg"}),h("td",{text:n.reason}),h("td",{"class":"r",text:n.price_unknown?"?":money(n.estimate)})));});
 drawBuild();}
function editPrompt(card,b){var box=card.querySelector("[data-role=prompt]");var ta=h("textarea",{rows:3,"data-role":"prompt-edit"});ta.value=b.prompt;
 var save=h("button",{"class":"primary","data-action":"save",text:"Save",onclick:function(){post(q("/api/beats/"+b.index+"/prompt"),{prompt:ta.value});}});
 box.replaceWith(h("div",null,ta,save));ta.focus();}
function drawBuild(){var b=S.build||{};var running=!!b.running;
 document.getElementById("build").disabled=running||!(S.plan&&S.plan.ok);document.getElementById("cancel").disabled=!running;
 setStatus(running?"building…":(b.status&&b.status!=="idle"?b.status+(b.totals&&b.totals.nodes?": "+b.totals.rendered+" made, "+b.totals.cached+" cached, "+money(b.totals.cost_usd):""):""));
 if(b.error)showError(b.error);
 var fin=document.getElementById("final");var mp4=b.outputs&&b.outputs.mp4;
 if(mp4&&fin.getAttribute("data-src")!==mp4+S.finalDoneAt){fin.setAttribute("data-src",mp4+S.finalDoneAt);fin.textContent="";
  fin.appendChild(h("video",{controls:true,preload:"metadata",id:"final-video",src:q(mp4)+"&v="+Date.now()}));
  fin.appendChild(h("p",null,h("a",{href:q(mp4),download:"",id:"download",text:"Download the video"})));}}
function onNode(n){S.nodes[n.key]=n;(S.history[n.key]=S.history[n.key]||[]).push(n.status);
 S.events.push([performance.now(),n.key,n.role,n.status]);
 if(n.role==="final"&&n.status==="done")S.finalDoneAt=performance.now();
 document.querySelectorAll("[data-role=status][data-key='"+n.key+"']").forEach(function(p){p.textContent=n.status;p.className="pill "+n.status;});
 if(n.kind==="segment"&&(n.status==="done"||n.status==="cached")){var card=document.querySelector("[data-beat='"+n.beat+"'] figure.segment");
  if(card){var old=card.querySelector("video,.missing");var v=segVideo({key:n.key,url:n.url});if(old)old.replaceWith(v);else card.prepend(v);}}
 if((n.kind==="keyframe"||n.kind==="image"||n.kind==="file")&&(n.status==="done"||n.status==="cached")&&n.url){
  var fig=document.querySelector("[data-beat='"+n.beat+"'] figure.frame");var kf=frameNode(n.beat);
  if(fig&&kf&&kf.key===n.key){var img=h("img",{src:q(n.url),alt:"end frame of beat "+n.beat});var o=fig.querySelector("img,.missing");if(o)o.replaceWith(img);}}
 if(n.status==="failed"){log("failed: "+n.label+": "+(n.error||""));}}
function frameNode(beat){var p=S.plan;if(!p||!p.nodes)return null;
 return p.nodes.filter(function(n){return n.beat===beat&&(n.kind==="keyframe"||n.kind==="file");}).slice(-1)[0]||null;}
function log(t){var l=document.getElementById("log");l.textContent+=t+"\n";l.scrollTop=l.scrollHeight;}
document.getElementById("build").addEventListener("click",function(){S.nodes={};post(q("/api/build"));});
document.getElementById("cancel").addEventListener("click",function(){post(q("/api/cancel"));});
document.getElementById("add").addEventListener("click",function(){var ta=document.getElementById("add-prompts");
 var ps=ta.value.split("\n").map(function(s){return s.trim();}).filter(Boolean);if(!ps.length){showError("write one prompt per line");return;}
 post(q("/api/beats"),{prompts:ps}).then(function(j){if(j.ok)ta.value="";});});
function newForm(){var f=function(id){return document.getElementById(id).value;};
 return {prompt:f("new-prompt"),seconds:f("new-seconds"),style:f("new-style"),size:f("new-size"),beats:f("new-beats")};}
function writingCost(){var form=newForm(),el=document.getElementById("new-cost");if(!form.prompt.trim())form.prompt="a story";
 fetch(q("/api/new/plan"),{method:"POST",headers:{"Content-Type":"application/json"},body:JSON.stringify(form)})
 .then(function(r){return r.json();}).then(function(j){if(!j.ok){el.textContent="Writing: "+j.error;return;}
  var w=j.writing,who=w.provider+"/"+w.model;
  el.textContent="Writing with "+who+": "+(w.status==="cached"?"already written for this prompt, nothing to pay":
   w.price_unknown?"no list price known":w.estimate_usd?"estimated $"+w.estimate_usd.toFixed(3):"free");});}
var costTimer=null;["new-prompt","new-seconds","new-style","new-size","new-beats"].forEach(function(id){
 document.getElementById(id).addEventListener("input",function(){clearTimeout(costTimer);costTimer=setTimeout(writingCost,300);});});
document.getElementById("write").addEventListener("click",function(){
 setStatus("writing…");post(q("/api/new"),newForm()).then(function(j){if(j.ok)location.reload();});});
var es=new EventSource(q("/events"));
es.addEventListener("hello",function(ev){var d=JSON.parse(ev.data);S.board=d.board;S.plan=d.plan;S.build=d.build;
 (d.build.nodes||[]).forEach(function(n){S.nodes[n.key]=n;});document.getElementById("start").hidden=!!d.board;if(!d.board)writingCost();
 document.getElementById("studio").hidden=!d.board;drawPlan();drawBuild();document.body.setAttribute("data-ready","1");});
es.addEventListener("plan",function(ev){S.plan=JSON.parse(ev.data);drawPlan();});
es.addEventListener("node",function(ev){onNode(JSON.parse(ev.data));});
es.addEventListener("build",function(ev){var d=JSON.parse(ev.data);if(d.running&&!(S.build&&S.build.running)){S.nodes={};}
 S.build=d;if(!d.running){drawPlan();}drawBuild();});
es.addEventListener("log",function(ev){var d=JSON.parse(ev.data);log(d.label+": "+d.message);});
})();
"""

CSP = _csp(SCRIPT) + "; connect-src 'self'"

_BODY = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,"><title>{title} · storyrender studio</title><style>{css}</style></head>
<body>
<div class="brand">storyrender studio</div>
<section id="start" class="start" hidden>
  <h1>Start from one prompt</h1>
  <p class="meta">The beats are written for you (a text model, or the offline template writer), then you build,
  watch each segment appear, and change what you want. Writing costs what the line below says; nothing
  else is paid for until you press Build.</p>
  <label>What happens<textarea id="new-prompt" rows="3" placeholder="A cat walking through a magical forest"></textarea></label>
  <div class="row">
    <label>Seconds<input id="new-seconds" value="30" inputmode="decimal"></label>
    <label>Style<input id="new-style" value="cinematic"></label>
    <label>Size<input id="new-size" value="1280x720"></label>
    <label>Beats (optional)<input id="new-beats" value="" inputmode="numeric"></label>
  </div>
  <p class="meta" id="new-cost">Writing: working out the price…</p>
  <button id="write" class="primary">Write the board</button>
  <p class="meta">Writes <code>board.yaml</code> in {folder}.</p>
</section>
<main id="studio" hidden>
  <h1 id="title">{title}</h1>
  <p class="meta" id="meta"></p>
  <p class="notice" id="previz" hidden><strong>local</strong> renders an animatic (previz), not AI imagery.</p>
  <div class="bar">
    <button id="build" class="primary">Build</button><button id="cancel" disabled>Cancel</button>
    <span id="summary"></span><span id="status"></span>
  </div>
  <p class="notice bad" id="error" hidden></p>
  <div class="film" id="final" style="--ratio:1.78;--aspect:16/9"><div class="none">The final video appears here when it is stitched.</div></div>
  <h2>Beats</h2>
  <div class="beats" id="beats"></div>
  <section class="add"><label>Add beats (one prompt per line)<textarea id="add-prompts" rows="2"></textarea></label>
  <div class="actions"><button id="add">Add beat(s)</button></div></section>
  <h2>Plan: what the next build renders, and why</h2>
  <table><thead><tr><th>node</th><th>with</th><th>why</th><th class="r">estimate</th></tr></thead><tbody id="plan-rows"></tbody></table>
  <h2>Log</h2><div id="log"></div>
</main>
<script>{script}</script>
</body></html>
"""


def render_page(state: dict[str, Any]) -> str:
    """The page's HTML; the data arrives over ``/events`` (only the title and folder are in the HTML)."""
    plan = state.get("plan") or {}
    return _BODY.format(title=e(plan.get("title") or "storyrender studio"), css=_CSS, folder=e(state.get("folder")),
                        script=SCRIPT)
