"""``{% keep "name" %}...{% endkeep %}``: a part of base.html a kept page stores (testimony/kept_pages.py)."""

from django import template

register = template.Library()


class KeepNode(template.Node):
    def __init__(self, name, nodelist):
        self.name, self.nodelist = name, nodelist

    def render(self, context):
        html = self.nodelist.render(context)
        parts = getattr(context.get("request"), "kept_parts", None)
        if parts is not None:
            parts[self.name] = html
        return html


@register.tag
def keep(parser, token):
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError('usage: {% keep "name" %}...{% endkeep %}')
    nodelist = parser.parse(("endkeep",))
    parser.delete_first_token()
    return KeepNode(bits[1][1:-1], nodelist)
