export default {
  fetch() {
    return new Response("Hello from a dynamic Worker!");
  },
};
