"""Pure text tools: matching requests to phrases, the GSM-7 alphabet, reading level.

Nothing here knows about prompts, calls or texts, and nothing imports the rest of the
package.
"""
