(() => {
  "use strict";
  // Everything is looked up inside this report, so that two in one notebook stay apart.
  const root = document.currentScript.closest(".briefing");
  const articles = JSON.parse(root.querySelector("script.articles").textContent);
  const reader = root.querySelector(".reader");
  const heading = reader.querySelector(".reader-heading");
  const link = reader.querySelector(".reader-link");
  const body = reader.querySelector(".reader-text");

  function openArticle(number, start, end) {
    const article = Object.hasOwn(articles, number) ? articles[number] : null;
    if (article === null) {
      return false;
    }
    // The offsets count code points, as Python's do; a JavaScript string counts UTF-16
    // units, so the text is split into code points before it is cut.
    const characters = Array.from(article.text);
    if (!(0 <= start && start <= end && end <= characters.length)) {
      return false;
    }
    const mark = document.createElement("mark");
    mark.id = "highlight";
    mark.textContent = characters.slice(start, end).join("");
    body.replaceChildren(
      document.createTextNode(characters.slice(0, start).join("")),
      mark,
      document.createTextNode(characters.slice(end).join("")),
    );
    heading.textContent = article.label;
    if (article.href !== null && /^https?:\/\//i.test(article.href)) {
      link.href = article.href;
      link.hidden = false;
    } else {
      link.removeAttribute("href");
      link.hidden = true;
    }
    if (!reader.open) {
      reader.showModal();
    }
    mark.scrollIntoView({ block: "center" });
    return true;
  }

  root.addEventListener("click", (event) => {
    const cite = event.target instanceof Element ? event.target.closest("a[data-start]") : null;
    if (cite === null) {
      return;
    }
    const { source, start, end } = cite.dataset;
    if (openArticle(source, Number(start), Number(end))) {
      event.preventDefault();
    }
  });
  reader.querySelector(".reader-close").addEventListener("click", () => reader.close());
})();
